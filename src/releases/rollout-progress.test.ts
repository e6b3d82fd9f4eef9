import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ReleaseView } from "./release.types.ts";
import { RolloutProgress } from "./rollout-progress.ts";

type Instance = ReleaseView["instances"][number];

type Watched = Pick<ReleaseView, "rollout" | "instances">;

function view(rollout: { state: string; step: number; message: string; decision?: string }, instances: Instance[] = []): Watched {
  const { decision, ...rest } = rollout;
  return { rollout: { ...rest, of: 3, verdict: decision ? { decision } : null }, instances };
}

function instance(health: Instance["health"], lastProbe: string | null): Instance {
  return {
    id: "production.web.r2.1",
    release: 2,
    pid: 10,
    port: 4000,
    health,
    routable: false,
    restarts: 0,
    startedAt: 0,
    lastExit: null,
    lastProbe,
  };
}

describe("--wait progress: one line per change, not per second", () => {
  it("prints each change of step, split, verdict and hold reason, and stays quiet while only the counts move", () => {
    const progress = new RolloutProgress();
    const held = (seen: number, left: string) =>
      `step 1/3 (10%): holding: too little traffic to judge (error_rate): canary ${seen} of the 100 requests needed (stable has 41); fails in ${left} without a verdict (release.hold_timeout 10m)`;
    const seq: [number, Watched][] = [
      [0, view({ state: "shifting", step: 1, message: "step 1/3: 10% of traffic on release 2" })],
      [1_000, view({ state: "shifting", step: 1, message: "step 1/3: 10% of traffic on release 2" })],
      [2_000, view({ state: "shifting", step: 1, decision: "hold", message: held(3, "10m") })],
      [7_000, view({ state: "shifting", step: 1, decision: "hold", message: held(4, "10m") })],
      [12_000, view({ state: "shifting", step: 1, decision: "hold", message: held(5, "9m") })],
      [63_000, view({ state: "shifting", step: 1, decision: "hold", message: held(9, "9m") })],
      [
        64_000,
        view({ state: "shifting", step: 2, decision: "pass", message: "step 2/3: 50% of traffic on release 2 (previous step passed: …)" }),
      ],
    ];
    const printed = seq.map(([at, v]) => progress.lines(v, at));
    assert.deepEqual(printed, [
      ["  step 1/3: 10% of traffic on release 2"],
      [],
      [`  ${held(3, "10m")}`],
      [],
      [],
      [`  ${held(9, "9m")}`],
      ["  step 2/3: 50% of traffic on release 2 (previous step passed: …)"],
    ]);
  });

  it("prints what an instance's failing health check got, once per change", () => {
    const progress = new RolloutProgress();
    const starting = { state: "starting", step: 0, message: "starting 1 instance(s) of release 2" };
    assert.deepEqual(progress.lines(view(starting, [instance("starting", null)]), 0), ["  starting 1 instance(s) of release 2"]);
    const refused = "GET /healthz → connection refused by 127.0.0.1:4000 (ECONNREFUSED: nothing listens on its PORT yet)";
    assert.deepEqual(progress.lines(view(starting, [instance("starting", refused)]), 100), [
      `    production.web.r2.1: starting (last check: ${refused})`,
    ]);
    assert.deepEqual(progress.lines(view(starting, [instance("starting", refused)]), 200), []);
    assert.deepEqual(progress.lines(view(starting, [instance("starting", "GET /healthz → 404 Not Found")]), 300), [
      "    production.web.r2.1: starting (last check: GET /healthz → 404 Not Found)",
    ]);
    assert.deepEqual(progress.lines(view(starting, [instance("healthy", null)]), 400), ["    production.web.r2.1: healthy"]);
  });
});
