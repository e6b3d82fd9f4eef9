import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { waitForRelease } from "../releases/release-wait.ts";
import { waitFor } from "../shared/wait.ts";
import { startLoad } from "../testing/load-generator.ts";
import { platformRig } from "../testing/platform-rig.ts";
import { runCli } from "../testing/rampart-process.ts";

describe("alerting through a real `rampart up`: default rules, no rule written", () => {
  const rig = platformRig({ project: { instances: 2 }, deploy: { env: "production", timeoutMs: 60_000 } });

  it("a release that fails 20 % of its requests fires the default high_error_ratio within a minute of taking traffic", async () => {
    const cli = (...args: string[]) => {
      const result = runCli([...args, "--data", rig.project.dataDir, "--json"]);
      assert.equal(result.code, 0, result.stderr);
      return JSON.parse(result.stdout) as Record<string, unknown>;
    };
    const rules = cli("alerts", "rules").rules as { app: string; name: string; source: string }[];
    assert.deepEqual(
      rules.filter((r) => r.app === "web").map((r) => `${r.name}:${r.source}`),
      [
        "high_error_ratio:default",
        "latency_p99_regression:default",
        "crash_loop:default",
        "no_healthy_instance:default",
        "failing_check:default",
        "high_client_error_ratio:default",
      ],
    );
    const load = startLoad(`http://127.0.0.1:${rig.project.ports.production}/`, { concurrency: 1, maxMs: 300_000 });
    try {
      // Steady state first: the rule's one-minute window full of healthy traffic, as it is before a real fault.
      const loadStarted = Date.now();
      await waitFor(
        async () =>
          Date.now() - loadStarted >= 65_000 && (await rig.up.client.metrics("production", "web", { since: "1m" })).total.requests > 60
            ? true
            : undefined,
        { timeoutMs: 90_000, intervalMs: 1000 },
      );
      assert.deepEqual(cli("alerts").alerts, [], "healthy traffic raises nothing");

      rig.project.writeManifest("    environments:\n      production: { env: { TEST_MODE: errors } }");
      const release = await waitForRelease(rig.up.client, await rig.up.client.deploy("production", "web"), 60_000);
      const firing = await waitFor(
        async () => {
          const { alerts } = await rig.up.client.alerts();
          return alerts.find((a) => a.rule === "high_error_ratio" && a.state === "firing" && a.labels.release === String(release.number));
        },
        { timeoutMs: 120_000, intervalMs: 250 },
      );
      const events = await rig.up.client.events({ env: "production", app: "web", limit: 10_000 });
      const firstTraffic = events.find((e) => e.type === "traffic.changed" && e.release === release.number)?.at;
      const live = events.find((e) => e.type === "release.live" && e.release === release.number)?.at;
      assert.ok(firstTraffic && live && firing.firedAt);
      const fromTraffic = firing.firedAt - firstTraffic;
      const fromLive = firing.firedAt - live;
      process.stdout.write(`# fault → firing: ${fromTraffic} ms from the bad release's first traffic, ${fromLive} ms from it being live\n`);
      assert.ok(fromTraffic <= 60_000, `fired ${fromTraffic} ms after the bad release took traffic`);
      assert.equal(firing.labels.severity, "critical");
      assert.equal(firing.labels.app, "web");
      assert.equal(firing.labels.env, "production");
      assert.match(firing.annotations.summary ?? "", /^web fails \d/);

      const history = cli("alerts", "history").events as { type: string; data: { rule: string } }[];
      assert.deepEqual(
        history.filter((e) => e.data.rule === "high_error_ratio").map((e) => e.type),
        ["alert.pending", "alert.firing"],
      );
      const active = cli("alerts").alerts as { rule: string; state: string }[];
      assert.ok(active.some((a) => a.rule === "high_error_ratio" && a.state === "firing"));
    } finally {
      await load.stop();
    }
    rig.events.assertNoViolations();
  });
});
