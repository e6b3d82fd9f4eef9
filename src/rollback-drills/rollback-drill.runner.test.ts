import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { FakeClock } from "../shared/fake-clock.ts";
import type { InstanceRecord } from "../runtime/instance.types.ts";
import { DrillFailed, type DrillRunnerDeps, runRollbackDrill } from "./rollback-drill.runner.ts";
import { routedReleases } from "./rollback-drill.wiring.ts";
import { ServedCounter } from "./served-counter.ts";
import { fakeDrillPlatform } from "./rollback-drill.fixture.ts";
import { report } from "./rollback-drill.cli.ts";

function world(options: { switchMs: number; rollbackFails?: boolean; nothingLive?: boolean }) {
  const clock = new FakeClock();
  const served = new ServedCounter("staging", "web", () => clock.now());
  const deps: DrillRunnerDeps = {
    clock,
    served,
    ...fakeDrillPlatform(clock, { ...options, feed: (stats) => served.acceptEdgeStats(stats) }),
  };
  const phases: string[] = [];
  const run = {
    ...{ env: "staging", app: "web", actor: "local", url: "http://127.0.0.1:8081/", rate: 20, previousRelease: 1 },
    onPhase: (p: string) => phases.push(p),
    signal: new AbortController().signal,
  };
  return { deps, run, phases };
}

describe("a rollback drill's measurements (fake platform, fake clock)", () => {
  it("times the rollback from the command to the previous artifact's release taking every request", async () => {
    const { deps, run, phases } = world({ switchMs: 700 });
    const r = await runRollbackDrill(deps, run);
    assert.deepEqual(phases, ["deploying", "rolling_back", "draining"]);
    assert.equal(r.deployedRelease, 2);
    assert.equal(r.rollbackRelease, 3);
    assert.ok(r.rollbackMs !== null && r.rollbackMs >= 700 && r.rollbackMs <= 720, `polled every 20 ms: ${r.rollbackMs}`);
    assert.ok(r.drainedMs !== null && r.drainedMs >= 1_700);
    assert.ok(r.deployMs !== null && r.deployMs >= 3_000);
    assert.equal(r.sent, 200);
    assert.equal(r.failed, 1, "the load's errors are the drill's failed requests");
    assert.deepEqual(r.servedAfterSwitch, { "3": 40 });
  });

  it("fails with what it measured when the rollback release fails", async () => {
    const { deps, run } = world({ switchMs: 60_000, rollbackFails: true });
    await assert.rejects(runRollbackDrill(deps, run), (error: unknown) => {
      assert.ok(error instanceof DrillFailed);
      assert.match(error.message, /^the rollback: release 3 failed: instance 1 never became healthy$/);
      assert.equal(error.result.deployedRelease, 2);
      assert.equal(error.result.rollbackMs, null);
      assert.equal(error.result.sent, 200, "the load was stopped and counted");
      return true;
    });
  });

  it("says there is nothing to drill when nothing is live", async () => {
    const { deps, run } = world({ switchMs: 100, nothingLive: true });
    await assert.rejects(runRollbackDrill(deps, run), /web has no live release in staging to drill/);
  });

  it("counts as routed only healthy instances in rotation of releases with weight", () => {
    const instance = (id: string, release: number, status: InstanceRecord["status"]) => ({
      id,
      env: "staging",
      app: "web",
      release,
      status,
    });
    const instances = [instance("a", 1, "healthy"), instance("b", 2, "healthy"), instance("c", 3, "starting")];
    const state = { env: "staging", app: "web", routable: ["a", "b", "c"], weights: null, updatedAt: 0 };
    assert.deepEqual(routedReleases(state, instances), [1, 2]);
    assert.deepEqual(routedReleases({ ...state, weights: { "1": 0, "2": 100 } }, instances), [2]);
    assert.deepEqual(routedReleases({ ...state, routable: ["b"] }, instances), [2]);
  });
});

describe("rampart drill rollback's report", () => {
  it("says what was deployed, how long the switch and the drain took, and what failed", async () => {
    const { deps, run } = world({ switchMs: 700 });
    const result = await runRollbackDrill(deps, run);
    const text = report({
      ...{ id: "drill-1", env: "staging", app: "web", status: "failed", phase: "finished", trigger: "manual", actor: "local" },
      ...{ allowProduction: false, startedAt: 0, finishedAt: 1, result, error: "1 of 200 requests failed during the drill" },
    });
    assert.match(text, /^rollback drill drill-1 of web in staging: failed \(1 of 200 requests failed during the drill\)$/m);
    assert.match(text, /^ {2}deployed release 2 \(the artifact of live release 1\) in 3\d{3} ms$/m);
    assert.match(
      text,
      /^ {2}rolled back to release 3: serving 100% of requests 7\d\d ms after the rollback command; release 2 drained after 1\d{3} ms$/m,
    );
    assert.match(text, /^ {2}load: 20\/s through http:\/\/127\.0\.0\.1:8081\/: 200 sent, 1 failed$/m);
    assert.match(text, /^ {2}served after the switch \(edge counts\): release 3: 40$/m);
  });
});
