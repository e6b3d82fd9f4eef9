import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { RampartEvent } from "../events/event.types.ts";
import type { ReleaseView } from "./release.types.ts";
import { RolloutProgress } from "./rollout-progress.ts";

type Instance = ReleaseView["instances"][number];
type Watched = Pick<ReleaseView, "number" | "status" | "reason" | "rollout" | "instances">;

function view(message: string, options: { status?: ReleaseView["status"]; reason?: string; instances?: Instance[] } = {}): Watched {
  return {
    number: 2,
    status: options.status ?? "deploying",
    reason: options.reason ?? null,
    rollout: { state: "shifting", step: 1, of: 3, message, verdict: null },
    instances: options.instances ?? [],
  };
}

let nextId = 1;
function event(message: string, type: RampartEvent["type"] = "rollout.step", release = 2): RampartEvent {
  return { id: nextId++, at: 0, type, env: "production", app: "web", release, instance: null, actor: "rampart", message, data: {} };
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

const held = (seen: number, left: string) =>
  `step 1/3 (10%): holding: too little traffic to judge (error_rate): canary ${seen} of the 100 requests needed (stable has 41); fails in ${left} without a verdict (release.hold_timeout 10m)`;

describe("--wait progress: one line per change, not per second", () => {
  it("prints each change of step, split, verdict and hold reason, and stays quiet while only the counts move", () => {
    const progress = new RolloutProgress();
    const judging = "step 1/3 (10%): judging: too little traffic to judge (error_rate): canary 1 of the 100 requests needed (stable has 9)";
    const printed = [
      // The step's own message was replaced before this poll: its event still gives it a line.
      progress.lines(view(judging), [event("step 1/3: 10% of traffic on release 2"), event(judging)], 0),
      progress.lines(view(judging.replace("canary 1", "canary 2")), [], 1_000),
      progress.lines(view(held(3, "10m")), [event(held(3, "10m"))], 2_000),
      progress.lines(view(held(4, "10m")), [], 7_000),
      progress.lines(view(held(5, "9m")), [], 12_000),
      progress.lines(view(held(9, "9m")), [], 63_000),
      progress.lines(view("step 2/3: 50% of traffic on release 2 (…)"), [event("step 2/3: 50% of traffic on release 2 (…)")], 64_000),
      progress.lines(view("step 2/3: 50% of traffic on release 2 (…)"), [event("another release's step", "rollout.step", 3)], 65_000),
    ];
    assert.deepEqual(printed, [
      ["  step 1/3: 10% of traffic on release 2", `  ${judging}`],
      [],
      [`  ${held(3, "10m")}`],
      [],
      [],
      [`  ${held(9, "9m")}`],
      ["  step 2/3: 50% of traffic on release 2 (…)"],
      [],
    ]);
  });

  it("leaves the reason of a rolled-back release to the error that ends --wait", () => {
    const progress = new RolloutProgress();
    const reason = "step 1/3 (10%) held for 10m without a verdict: …";
    const lines = progress.lines(
      view(reason, { status: "rolled_back", reason }),
      [event(`all traffic back on the stable release: ${reason}`, "rollout.rolled_back")],
      0,
    );
    assert.deepEqual(lines, []);
  });

  it("prints what an instance's failing health check got, once per change", () => {
    const progress = new RolloutProgress();
    const starting = "starting 1 instance(s) of release 2";
    assert.deepEqual(progress.lines(view(starting, { instances: [instance("starting", null)] }), [], 0), [`  ${starting}`]);
    const refused = "GET /healthz → connection refused by 127.0.0.1:4000 (ECONNREFUSED: nothing listens on its PORT yet)";
    assert.deepEqual(progress.lines(view(starting, { instances: [instance("starting", refused)] }), [], 100), [
      `    production.web.r2.1: starting (last check: ${refused})`,
    ]);
    assert.deepEqual(progress.lines(view(starting, { instances: [instance("starting", refused)] }), [], 200), []);
    assert.deepEqual(progress.lines(view(starting, { instances: [instance("starting", "GET /healthz → 404 Not Found")] }), [], 300), [
      "    production.web.r2.1: starting (last check: GET /healthz → 404 Not Found)",
    ]);
    assert.deepEqual(progress.lines(view(starting, { instances: [instance("healthy", null)] }), [], 400), [
      "    production.web.r2.1: healthy",
    ]);
  });
});
