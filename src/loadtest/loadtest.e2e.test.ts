import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { platformRig } from "../testing/platform-rig.ts";
import type { LoadResult, LoadTestRecord } from "./loadtest.types.ts";

describe("rampart loadtest through the edge: thresholds, exit status, stored and compared, protected environments refused", () => {
  const rig = platformRig({ project: { instances: 1 }, deploy: { env: "staging", timeoutMs: 90_000 } });
  const { cli } = rig;

  it("passes its thresholds at a modest rate, then fails an impossible one with exit 4 and the previous run to compare", (t) => {
    const first = cli(["loadtest", "web", "--env", "staging", "--rate", "50", "--duration", "3s", "--threshold", "errors<1%", "--json"]);
    assert.equal(first.code, 0, first.stderr);
    const a = JSON.parse(first.stdout) as LoadResult & { previous: LoadTestRecord | null };
    assert.equal(a.sent, 150);
    assert.equal(a.errors, 0);
    assert.equal(a.passed, true);
    assert.equal(a.previous, null);
    assert.equal(a.app?.instances, 1);
    assert.ok((a.app?.maxRssBytes ?? 0) > 1_000_000, "the app's memory was sampled");
    t.diagnostic(
      `50/s for 3s through the edge: p50 ${a.latencyMs.p50} ms, p99 ${a.latencyMs.p99} ms, ${a.achievedRps}/s; app CPU ${a.app?.cpuPercent}%`,
    );

    const second = cli([
      "loadtest",
      "web",
      "--env",
      "staging",
      "--rate",
      "50",
      "--duration",
      "2s",
      "--threshold",
      "p50<1ms",
      "--threshold",
      "errors<1%",
    ]);
    assert.equal(second.code, 4, second.stderr);
    assert.match(second.stdout, /✗ p50<1ms/);
    assert.match(second.stdout, /✓ errors<1%/);
    assert.match(second.stdout, /web meanwhile: 1 instance\(s\), CPU [\d.]+% of a core, max memory \d+ MiB/);
    assert.match(second.stdout, /compared with the run of .* by local at 50\/s/);
    assert.match(second.stderr, /1 threshold\(s\) failed/);
  });

  it("refuses a protected environment without --allow-production, and a bad threshold with what it should look like", async () => {
    const refused = cli(["loadtest", "web", "--env", "production", "--rate", "10", "--duration", "1s"]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /production is protected: a load test there needs --allow-production/);
    assert.match(refused.stderr, /hint: run it in staging/);
    const bad = cli(["loadtest", "web", "--env", "staging", "--threshold", "p99 under 300"]);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /use METRIC<VALUE/);
    // With --allow-production: allowed first (recorded with who allowed it), then run and recorded.
    const allowed = cli(["loadtest", "web", "--env", "production", "--rate", "5", "--duration", "1s", "--allow-production", "--json"]);
    assert.equal(allowed.code, 0, allowed.stderr);
    const recorded = (await rig.up.client.events({ limit: 1000 })).filter((e) => e.type.startsWith("loadtest."));
    assert.deepEqual(
      recorded.map((e) => [e.type, e.env, e.actor]),
      [
        ["loadtest.completed", "staging", "local"],
        ["loadtest.completed", "staging", "local"],
        ["loadtest.allowed", "production", "local"],
        ["loadtest.completed", "production", "local"],
      ],
    );
    rig.events.assertNoViolations();
  });
});
