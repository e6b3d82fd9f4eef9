import { parseManifest } from "../config/manifest.loader.ts";
import { resolveApp } from "../config/manifest.resolve.ts";
import type { EdgeStats } from "../edge/edge-stats.types.ts";
import type { OpenLoopOptions } from "../loadtest/open-loop.ts";
import type { ReleaseView } from "../releases/release.types.ts";
import type { Clock } from "../shared/clock.ts";
import type { DrillRunnerDeps } from "./rollback-drill.runner.ts";

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

export interface FakePlatformOptions {
  switchMs: number;
  rollbackFails?: boolean;
  nothingLive?: boolean;
  /** The drilled deploy never goes live (the drill runs until aborted or its timeout). */
  deployHangs?: boolean;
  /** Where the edge's counts go (the drill's ServedCounter, or the service as an edge-stats sink). */
  feed(stats: EdgeStats): void;
}

/**
 * A platform where the drilled deploy (release 2) is live 3 s after it is made and the rollback (release 3) takes
 * all traffic `switchMs` after the rollback command, its rollout completing 1 s later (or failing). The load runs
 * until aborted; the edge then reports 40 requests after the switch, all served by release 3; 1 of 200 failed.
 */
export function fakeDrillPlatform(clock: Clock, options: FakePlatformOptions): Omit<DrillRunnerDeps, "clock" | "served"> {
  let deployedAt = Number.POSITIVE_INFINITY;
  let rolledBackAt = Number.POSITIVE_INFINITY;
  return {
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
      if (n === 2 && options.deployHangs) return view(2, "deploying", "shifting");
      const since = clock.now() - (n === 2 ? deployedAt : rolledBackAt);
      if (n === 3 && options.rollbackFails && since >= 500) return view(3, "failed", "failed", "instance 1 never became healthy");
      return since >= (n === 2 ? 3_000 : options.switchMs + 1_000) ? view(n, "live", "completed") : view(n, "deploying", "shifting");
    },
    routedReleases: () => {
      if (clock.now() - rolledBackAt >= options.switchMs) return [3];
      return clock.now() - deployedAt >= 3_000 ? [2] : [1];
    },
    load: (o: OpenLoopOptions) =>
      new Promise((resolve) => {
        o.signal?.addEventListener("abort", () => {
          options.feed({
            ...{ pid: 1, tableVersion: 1, fromMs: clock.now() - 500, toMs: clock.now(), inflight: {}, spans: [] },
            series: [{ env: "staging", app: "web", release: 3, instance: "i3", status: 200, count: 40, sumMs: 40, buckets: [] }],
          });
          resolve({ sent: 200, ok: 199, errors: 1, statuses: { "200": 199, "502": 1 }, latencies: [], elapsedMs: 10_000 });
        });
      }),
  };
}
