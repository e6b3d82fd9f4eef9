import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { openDatabase } from "../db/database.ts";
import { EventLog } from "../events/event-log.ts";
import { platformMigrations } from "../platform/migrations.ts";
import { cachedLastChange, lastChangeBefore, withLastChange } from "./last-change.ts";
import type { Notification } from "./notify/notify-dispatcher.ts";
import { notificationText, slackPayload, webhookV4Payload } from "./notify/notify-payloads.ts";
import { alertFixture } from "./notify/notify.fixture.ts";

const root = mkdtempSync(join(tmpdir(), "rampart-last-change-"));
after(() => rmSync(root, { recursive: true, force: true }));

const T0 = Date.UTC(2026, 11, 5, 12, 0, 0);
const SECRET_VALUE = "sk_live_do-not-leak-4242";

function notification(alerts: Notification["alerts"]): Notification {
  return {
    receiver: "ops",
    groupKey: '{}:{alertname="HighErrorRate"}',
    key: "ops|x",
    groupLabels: { alertname: "HighErrorRate" },
    reason: "first notification",
    alerts,
    at: T0 + 600_000,
    firing: [],
  };
}

describe("the last change before an alert fired", () => {
  it("is the newest deploy, flag or secret change of the app at or before the alert, named without values", async () => {
    const database = await openDatabase(join(root, "a"), platformMigrations);
    let now = T0;
    const events = new EventLog(database.db, { now: () => now });
    const at = async (ms: number, event: Parameters<EventLog["append"]>[0]) => {
      now = T0 + ms;
      await events.append(event);
    };
    await at(0, { type: "release.deploying", env: "production", app: "api", release: 7, actor: "bob", message: "deploying release 7" });
    await at(60_000, {
      type: "flag.changed",
      env: "production",
      actor: "carol",
      message: "carol changed new-checkout",
      data: { flag: "new-checkout" },
    });
    // Another app's secret, and this app's: only the latter is a change of this app.
    await at(90_000, {
      type: "secret.set",
      env: "production",
      app: "web",
      actor: "dave",
      message: "secret X of web",
      data: { name: "X", version: 1 },
    });
    await at(120_000, {
      type: "secret.set",
      env: "production",
      app: "api",
      actor: "alice",
      // A message is never copied into a notification: only names and versions are.
      message: `secret STRIPE_KEY of api in production set (version 2) ${SECRET_VALUE}`,
      data: { name: "STRIPE_KEY", version: 2 },
    });
    await at(200_000, { type: "release.deploying", env: "staging", app: "api", release: 9, actor: "bob", message: "staging deploy" });
    // After the alert fired: not its cause.
    await at(400_000, {
      type: "release.deploying",
      env: "production",
      app: "api",
      release: 8,
      actor: "bob",
      message: "deploying release 8",
    });

    const fired = T0 + 300_000;
    assert.equal((await lastChangeBefore(events, "production", "api", fired))?.summary, "secret STRIPE_KEY set (version 2) by alice");
    assert.equal((await lastChangeBefore(events, "production", "api", T0 + 100_000))?.summary, "flag new-checkout changed by carol");
    assert.equal((await lastChangeBefore(events, "production", "api", T0 + 30_000))?.summary, "deploy of release 7 by bob");
    assert.equal(await lastChangeBefore(events, "production", "api", T0 - 1), null);

    const alert = {
      ...alertFixture({ alertname: "HighErrorRate", severity: "critical", env: "production", app: "api", release: "7" }),
      firedAt: fired,
    };
    const annotated = await withLastChange(alert, cachedLastChange(events), fired);
    assert.equal(annotated.annotations.last_change, "secret STRIPE_KEY set (version 2) by alice at 2026-12-05T12:02:00.000Z");
    assert.equal(annotated.annotations.last_change_kind, "secret");

    const n = notification([annotated]);
    const webhook = webhookV4Payload(n, "http://rampart:7700");
    assert.equal(webhook.alerts[0]?.annotations.last_change_kind, "secret");
    assert.equal(webhook.commonAnnotations.last_change, annotated.annotations.last_change);
    const text = notificationText(n);
    assert.match(text, /serving release 7/);
    assert.match(text, /\n {2}last change: secret STRIPE_KEY set \(version 2\) by alice at 2026-12-05T12:02:00.000Z\n/);
    const slack = slackPayload(n);
    assert.match(JSON.stringify(slack.blocks), /_last change:_ secret STRIPE_KEY set/);
    for (const payload of [JSON.stringify(webhook), text, JSON.stringify(slack)]) assert.ok(!payload.includes(SECRET_VALUE));

    // An alert about no app, or an app nothing changed, is left as it was.
    const project = alertFixture({ alertname: "Disk", severity: "warning" });
    assert.equal(await withLastChange(project, cachedLastChange(events), fired), project);
    await database.close();
  });
});
