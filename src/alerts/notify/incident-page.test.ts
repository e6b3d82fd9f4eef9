import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { openDatabase, type OpenedDatabase } from "../../db/database.ts";
import { EventLog } from "../../events/event-log.ts";
import { eventlessTables, platformMigrations } from "../../platform/migrations.ts";
import { systemClock } from "../../shared/clock.ts";
import { startWebhookReceiver, type WebhookReceiver } from "../../testing/webhook-receiver.ts";
import { createAlertNotifier } from "./alert-notify.module.ts";
import { incidentPageNotifications } from "./incident-page.ts";
import { resolveNotifyConfig } from "./notify-config.ts";
import type { AlertNotifyFile } from "./notify.schema.ts";

const PAGE = {
  id: 7,
  title: "checkout answers 500s",
  severity: 1,
  env: "production",
  app: "shop",
  commands: ["rampart incident show 7", "rampart incident role 7 commander YOUR_NAME"],
};

describe("paging an opened incident", () => {
  let dir: string;
  let opened: OpenedDatabase;
  let hook: WebhookReceiver;
  let url: string;
  let received: WebhookReceiver["received"];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "rampart-incident-page-"));
    opened = await openDatabase(dir, platformMigrations, { audit: { eventless: eventlessTables } });
    hook = await startWebhookReceiver();
    ({ url, received } = hook);
  });
  after(async () => {
    hook.close();
    await opened.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("goes to the receiver routing picks for severity critical: the default receiver with the tiered defaults", () => {
    const config = resolveNotifyConfig({
      receivers: { oncall: { webhook: `${url}/a` }, chat: { slack: `${url}/b` } },
      default_receiver: "oncall",
    });
    const [page, ...more] = incidentPageNotifications(config, PAGE, 1_000);
    assert.equal(more.length, 0);
    assert.equal(page?.receiver, "oncall");
    assert.deepEqual(page?.alerts[0]?.labels, {
      alertname: "incident_opened",
      severity: "critical",
      incident: "7",
      incident_severity: "SEV-1",
      env: "production",
      app: "shop",
    });
    // No receivers declared: the console (the on-call view), as for any critical alert.
    assert.equal(incidentPageNotifications(resolveNotifyConfig(undefined), PAGE, 1_000)[0]?.receiver, "console");
  });

  it("follows written routes, `continue` included, and delivers a webhook with the title and the commands", async () => {
    const alerts: AlertNotifyFile = {
      receivers: { pager: { webhook: `${url}/pager` }, ops: { webhook: `${url}/ops` }, team: { webhook: `${url}/team` } },
      routes: [
        { matchers: ["severity=critical", "app=shop"], receiver: "pager", continue: true },
        { match: { severity: "critical" }, receiver: "ops" },
        { match: { severity: "warning" }, receiver: "team" },
      ],
    };
    const notify = createAlertNotifier({
      db: opened.db,
      events: new EventLog(opened.db, systemClock),
      clock: systemClock,
      alerts: () => alerts,
      externalUrl: "http://127.0.0.1:7700",
      retry: { attempts: 2, initialBackoffMs: 20, maxBackoffMs: 40 },
    });
    notify.page(PAGE);
    await notify.idle();
    assert.deepEqual(received.map((r) => r.path).sort(), ["/ops", "/pager"]);
    const body = received.find((r) => r.path === "/pager")?.body;
    assert.equal(body?.version, "4");
    assert.equal(body?.status, "firing");
    const [alert] = (body?.alerts ?? []) as { annotations: Record<string, string>; labels: Record<string, string> }[];
    assert.equal(alert?.annotations.summary, "SEV-1 incident 7 opened: checkout answers 500s");
    assert.match(alert?.annotations.description ?? "", /rampart incident show 7\nrampart incident role 7 commander YOUR_NAME/);
    const [delivery] = await notify.deliveries.list({ kind: "webhook", limit: 1 });
    assert.equal(delivery?.status, "delivered");
    // The text (email, console, Slack fallback) also offers the rollback of the app.
    assert.match(delivery?.text ?? "", /rampart rollback shop --env production/);
    assert.match(delivery?.text ?? "", /rampart incident show 7/);
  });
});
