import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { waitForRelease } from "../releases/release-wait.ts";
import { waitFor } from "../shared/wait.ts";
import { type LoadResult, startLoad } from "../testing/load-generator.ts";
import { platformRig } from "../testing/platform-rig.ts";
import { runCli } from "../testing/rampart-process.ts";
import { createTestProject } from "../testing/test-project.ts";
import type { IncidentView, Postmortem, TimelineEntry } from "./incident.types.ts";

/**
 * Rolling (no canary analysis to catch the bad release) and the default 5xx rule with a short `for`, so the alert,
 * not a rollout verdict, is what finds the fault. Critical alerts and SEV-1/2 pages go to the test's webhook.
 */
function manifestYaml(webhook: string, bad: boolean): string {
  return [
    "    release: { strategy: rolling }",
    "    sticky: { header: x-user }",
    "    alerts:",
    "      - name: high_error_ratio",
    '        expr: "error_ratio(1m) > 0.05 and request_rate(1m) >= 0.1"',
    "        for: 2s",
    "        severity: critical",
    '        annotations: { summary: "web fails {{ $value | percent }} of its requests" }',
    ...(bad ? ['    environments:\n      production: { env: { TEST_MODE: errors, ERROR_RATE: "0.5" } }'] : []),
    "alerts:",
    `  receivers: { oncall: { webhook: ${JSON.stringify(webhook)} } }`,
    "  default_receiver: oncall",
  ].join("\n");
}

interface WebhookBody {
  status: string;
  receiver: string;
  commonLabels: Record<string, string>;
  alerts: { labels: Record<string, string>; annotations: Record<string, string> }[];
}

describe("an incident opened by a real alert: bad rolling deploy → alert → incident → ack → rollback → resolved", () => {
  let receiver: Server;
  let webhook: string;
  const received: WebhookBody[] = [];

  before(async () => {
    receiver = createServer((req, res) => {
      let body = "";
      req.on("data", (d: Buffer) => (body += d.toString()));
      req.on("end", () => {
        received.push(JSON.parse(body) as WebhookBody);
        res.end("ok");
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
    webhook = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  });
  const rig = platformRig({
    project: async () => {
      const project = await createTestProject({ instances: 1 });
      project.writeManifest(manifestYaml(webhook, false));
      return project;
    },
    upEnv: { RAMPART_ALERTS_INTERVAL: "500ms" },
    deploy: { env: "production", timeoutMs: 60_000 },
  });
  const cli = (...args: string[]) => runCli(["--data", rig.project.dataDir, ...args]);
  // The next deploy is the bad release the alert must find.
  before(() => rig.project.writeManifest(manifestYaml(webhook, true)));
  after(() => receiver.close());

  it("opens the incident from the alert event, and its measures and postmortem match the events that produced them", async (t) => {
    const load = startLoad(`http://127.0.0.1:${rig.project.ports.production}/`, {
      concurrency: 2,
      maxMs: 180_000,
      users: { header: "x-user", count: 40 },
    });
    let sent: LoadResult | undefined;
    let id = -1;
    let badNumber = -1;
    try {
      // A healthy baseline first: the impact start is where the error ratio leaves it.
      await waitFor(() => (load.current().ok >= 200 ? true : undefined), { timeoutMs: 30_000 });
      const bad = await waitForRelease(rig.up.client, await rig.up.client.deploy("production", "web"), 60_000);
      assert.equal(bad.status, "live", "a rolling deploy has no analysis: the bad release goes live");
      badNumber = bad.number;

      // The alert opens the incident by itself.
      const incident = await waitFor(
        async () => (await rig.up.client.incidents()).incidents.find((i) => i.openedBy === "rampart" && i.app === "web"),
        { timeoutMs: 90_000, intervalMs: 250 },
      );
      assert.equal(incident.severity, 2, "a critical alert opens a SEV-2");
      assert.equal(incident.env, "production");
      id = incident.id;

      // Acknowledged by a person, then mitigated by `rampart rollback` while the load still runs.
      const ack = cli("incident", "status", String(id), "identified", "-m", "release bad, rolling back");
      assert.equal(ack.code, 0, ack.stderr);
      const rollback = cli("rollback", "web", "--env", "production", "--json");
      assert.equal(rollback.code, 0, rollback.stderr);
      const back = JSON.parse(rollback.stdout) as { number: number };
      await waitForRelease(rig.up.client, { ...bad, number: back.number }, 60_000);
      // Until the edge's one-second aggregates of the healthy release are in, so the impact's end is measured.
      const healthyFrom = load.current();
      await waitFor(() => (load.current().ok - healthyFrom.ok >= 100 ? true : undefined), { timeoutMs: 30_000 });
      sent = await load.stop();
    } finally {
      if (!sent) await load.stop();
    }
    assert.equal(cli("incident", "status", String(id), "monitoring").code, 0);
    const resolvedRun = cli("incident", "status", String(id), "resolved");
    assert.equal(resolvedRun.code, 0, resolvedRun.stderr);

    assert.ok(sent && id > 0);
    const shown = cli("incident", "show", String(id), "--json");
    assert.equal(shown.code, 0, shown.stderr);
    const { incident: view, timeline } = JSON.parse(shown.stdout) as { incident: IncidentView; timeline: TimelineEntry[] };
    const events = await rig.up.client.events({ env: "production", limit: 10_000 });
    const mine = (type: string) => events.filter((e) => e.type === type && e.data.incident === id);
    const trafficAt = events.find((e) => (e.type === "traffic.changed" || e.type === "release.deploying") && e.release === badNumber)?.at;
    const firing = events.find((e) => e.type === "alert.firing" && e.data.rule === "high_error_ratio");
    const opened = mine("incident.opened")[0];
    const [acked, , resolved] = mine("incident.status_changed");
    // `rampart rollback` writes release.rolled_back for the bad release when its rollback release takes over.
    const rolledBack = events.find((e) => e.type === "release.rolled_back" && e.release === badNumber);
    const story = { trafficAt, firing, opened, acked, resolved, rolledBack };
    assert.ok(
      trafficAt && firing && opened && acked && resolved && rolledBack,
      `the story's events are in the log; missing: ${Object.entries(story)
        .filter(([, v]) => v === undefined)
        .map(([k]) => k)
        .join(", ")}\n${events.map((e) => `${e.id} ${e.type} r${e.release} ${e.actor}: ${e.message}`).join("\n")}`,
    );

    // Detection is the alert's: the incident was opened by it, and its detection time is the alert's firing time.
    assert.equal(opened.actor, "rampart");
    assert.equal(opened.data.alert, firing.data.fingerprint);
    assert.equal(view.alerts[0], firing.data.fingerprint);
    // Alerts firing later for the app (the rule labels the serving release, so the rollback release's first minute
    // is a new alert) join this incident instead of opening a second one.
    assert.equal((await rig.up.client.incidents()).incidents.length, 1);
    assert.equal(mine("incident.alert_joined").length, view.alerts.length - 1);
    assert.equal(view.timestamps.detected, firing.data.firedAt, "detected when the alert fired");
    assert.ok(Math.abs(view.timestamps.detected - firing.at) <= 1000, "the firing event was written with it");
    const impactStarted = view.timestamps.impactStarted;
    assert.ok(impactStarted !== null, "the edge measured the impact");
    assert.ok(
      impactStarted >= trafficAt - 2000 && impactStarted <= view.timestamps.detected,
      `impact ${impactStarted} between the bad release's first traffic ${trafficAt} and detection ${view.timestamps.detected}`,
    );
    assert.equal(view.timestamps.acknowledged, acked.at, "acknowledged by the status change");
    assert.equal(acked.actor, "local");
    assert.equal(view.timestamps.mitigated, rolledBack.at, "mitigated when the rollback took over");
    assert.equal(view.timestamps.resolved, resolved.at);
    assert.equal(view.measures.mttdMs, view.timestamps.detected - impactStarted, "MTTD: fault → alert");
    assert.equal(view.measures.mttaMs, acked.at - view.timestamps.detected, "MTTA: alert → acknowledged");
    assert.equal(view.measures.mttmMs, rolledBack.at - impactStarted);
    assert.equal(view.measures.mttrMs, resolved.at - impactStarted, "MTTR: fault → resolved");
    assert.equal(view.suspect?.release, badNumber, "the bad deploy is the suspect");

    // The timeline: the log's events in the log's order, the alert and the response among them.
    const logged = timeline.filter((e) => e.eventId !== null);
    assert.deepEqual(
      logged.map((e) => e.eventId),
      events.filter((e) => logged.some((l) => l.eventId === e.id)).map((e) => e.id),
      "ordered as the event log",
    );
    const order = ["release.deploying", "alert.firing", "incident.opened", "incident.status_changed", "release.rolled_back"].map((type) =>
      timeline.findIndex((e) => e.type === type && (!type.startsWith("release.") || e.release === badNumber)),
    );
    assert.ok(
      order.every((i, n) => i >= 0 && (n === 0 || i > (order[n - 1] ?? 0))),
      `deploy → alert → opened → acknowledged → rolled back: ${order.join(", ")}`,
    );
    assert.ok(timeline.some((e) => e.kind === "impact" && e.at === impactStarted));

    // The postmortem draft: detection by the alert, numbers against the load that was sent.
    const pm = JSON.parse(cli("postmortem", "show", String(id), "--json").stdout) as Postmortem;
    assert.equal(pm.state, "owed");
    assert.ok(pm.requiredBecause.some((r) => /SEV-2/.test(r)));
    assert.match(pm.detection, new RegExp(`^Detected by an alert at ${new Date(view.timestamps.detected).toISOString()}`));
    assert.match(pm.recovery, /^Mitigated by release\.rolled_back/);
    assert.ok(!pm.wentBadly.some((w) => /No alert fired/.test(w)));
    assert.deepEqual(pm.measures, view.measures);
    const tolerance = Math.max(5, Math.round(sent.failed * 0.2));
    assert.ok(
      Math.abs(pm.impact.failedRequests - sent.failed) <= tolerance,
      `postmortem ${pm.impact.failedRequests} failed, load saw ${sent.failed}: ${JSON.stringify(pm.impact)} ${sent.failures.join("; ")}`,
    );
    // Every failure is the bad release's, inside the impact, so the edge counted the same users the load saw fail.
    assert.ok(sent.failedUsers.length > 0);
    assert.equal(pm.impact.distinctUsers, sent.failedUsers.length, "distinct users affected, by the sticky header");
    assert.match(
      cli("postmortem", "show", String(id), "--markdown").stdout,
      new RegExp(`distinct users affected: ${sent.failedUsers.length} \\(by sticky key\\)`),
    );

    // Paged: the SEV-2 went to the receiver that critical alerts go to, with its title and the commands.
    const page = await waitFor(() => received.find((b) => b.commonLabels.alertname === "incident_opened"), { timeoutMs: 15_000 });
    assert.equal(page.receiver, "oncall");
    assert.equal(page.commonLabels.incident, String(id));
    assert.equal(page.commonLabels.severity, "critical");
    assert.match(page.alerts[0]?.annotations.summary ?? "", new RegExp(`SEV-2 incident ${id} opened: ${regexQuote(view.title)}`));
    assert.match(page.alerts[0]?.annotations.description ?? "", new RegExp(`rampart incident show ${id}`));
    // The alert itself goes there too, after its group's group_wait (30 s by default).
    await waitFor(() => (received.some((b) => b.commonLabels.alertname === "high_error_ratio") ? true : undefined), { timeoutMs: 45_000 });

    t.diagnostic(
      `load: ${sent.failed} failed of ${sent.sent}; postmortem: ${pm.impact.failedRequests} of ${pm.impact.totalRequests}; ` +
        `MTTD ${view.measures.mttdMs} ms, MTTA ${view.measures.mttaMs} ms, mitigate ${view.measures.mttmMs} ms, MTTR ${view.measures.mttrMs} ms`,
    );
    rig.events.assertNoViolations();
  });
});

function regexQuote(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
