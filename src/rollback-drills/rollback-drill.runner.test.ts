import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseManifest } from "../config/manifest.loader.ts";
import { resolveApp } from "../config/manifest.resolve.ts";
import type { OpenLoopOptions } from "../loadtest/open-loop.ts";
import type { ReleaseView } from "../releases/release.types.ts";
import { FakeClock } from "../shared/fake-clock.ts";
import type { InstanceRecord } from "../runtime/instance.types.ts";
import { DrillFailed, type DrillRunnerDeps, runRollbackDrill } from "./rollback-drill.runner.ts";
import { routedReleases } from "./rollback-drill.wiring.ts";
import { ServedCounter } from "./served-counter.ts";

const config = resolveApp(
  parseManifest(
    "name: t\nenvironments: { staging: { port: 8081 } }\napps: { web: { source: ./web, run: node s.js } }\n",
    "/tmp/t/rampart.yaml",
    {
      checkSources: false,
    },
  ),
  "web",
  "staging",
);

function view(number: number, status: ReleaseView["status"], state: string, reason: string | null = null): ReleaseView {
  return {
    ...{ env: "staging", app: "web", number, status, reason, strategy: "rolling", artifact: "sha256-a", sourceDir: "/tmp/t/web" },
    ...{ git: null, rollbackOf: null, createdBy: "local", createdAt: 0, liveAt: null, finishedAt: null, config, instances: [] },
    rollout: { state, step: 1, of: 1, message: null, verdict: null },
  };
}

/**
 * A platform where the drilled deploy (release 2) is live 3 s after it is made and the rollback (release 3) takes
 * all traffic `switchMs` after the rollback command, its rollout completing 1 s later (or failing).
 */
function world(options: { switchMs: number; rollbackFails?: boolean; nothingLive?: boolean }) {
  const clock = new FakeClock();
  let deployedAt = Number.POSITIVE_INFINITY;
  let rolledBackAt = Number.POSITIVE_INFINITY;
  const served = new ServedCounter("staging", "web", () => clock.now());
  const deps: DrillRunnerDeps = {
    clock,
    served,
    redeploy: async () => {
      if (options.nothingLive) return null;
      deployedAt = clock.now();
      return view(2, "deploying", "shifting");
    },
    rollback: async () => {
      rolledBackAt = clock.now();
      return view(3, "deploying", "shifting");
    },
    release: async (_env, _app, n) => {
      const since = clock.now() - (n === 2 ? deployedAt : rolledBackAt);
      if (n === 3 && options.rollbackFails && since >= 500) return view(3, "failed", "failed", "instance 1 never became healthy");
      return since >= (n === 2 ? 3_000 : options.switchMs + 1_000) ? view(n, "live", "completed") : view(n, "deploying", "shifting");
    },
    routedReleases: () => {
      if (clock.now() - rolledBackAt >= options.switchMs) return [3];
      return clock.now() - deployedAt >= 3_000 ? [2] : [1];
    },
    // The load runs until aborted; the edge then reports the requests after the switch, all served by release 3.
    load: (o: OpenLoopOptions) =>
      new Promise((resolve) => {
        o.signal?.addEventListener("abort", () => {
          served.acceptEdgeStats({
            ...{ pid: 1, tableVersion: 1, fromMs: clock.now() - 500, toMs: clock.now(), inflight: {}, spans: [] },
            series: [{ env: "staging", app: "web", release: 3, instance: "i3", status: 200, count: 40, sumMs: 40, buckets: [] }],
          });
          resolve({ sent: 200, ok: 199, errors: 1, statuses: { "200": 199, "502": 1 }, latencies: [], elapsedMs: 10_000 });
        });
      }),
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
