import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it } from "node:test";
import { DEFAULT_JUDGE_OPTIONS } from "../analysis/index.ts";
import { userHash } from "../../packages/sdk/src/user-hash.ts";
import { emptyBuckets, latencyBucketIndex } from "../shared/measurement.ts";
import { FlagRolloutEngine } from "./flag-rollout-engine.ts";
import { FlagRolloutStore } from "./flag-rollout.store.ts";
import { FlagStore } from "./flag.store.ts";
import { flagsFixture, type FlagsFixture } from "./flag.fixture.ts";
import type { PlanBody } from "./flag.types.ts";

/** One second of edge traffic for one variation: `count` requests, `errors` of them 5xx, the rest at `ms`. */
function feed(engine: FlagRolloutEngine, atMs: number, variation: string, count: number, errors = 0, ms = 20): void {
  const buckets = emptyBuckets();
  buckets[latencyBucketIndex(ms)] = count - errors;
  engine.add(
    { env: "staging", app: "web", release: 1, flag: "reco", variation, count, errors, sumMs: (count - errors) * ms, buckets },
    atMs,
  );
}

const plan = (overrides: Partial<PlanBody> = {}): PlanBody => ({
  steps: [5, 25, 50, 100],
  every: "10s",
  guards: {},
  onFail: "pause",
  by: "userId",
  ...overrides,
});

describe("FlagRolloutEngine", () => {
  let f: FlagsFixture;
  beforeEach(async () => {
    f = await flagsFixture();
    await f.service.create({ key: "reco", type: "boolean", kind: "release", description: "" }, "alice");
  });
  afterEach(() => f.close());

  /** Runs `seconds` ticks, each after one second of traffic from `traffic`. */
  async function run(seconds: number, traffic: (at: number) => void): Promise<void> {
    for (let s = 0; s < seconds; s++) {
      f.clock.advance(1000);
      traffic(f.clock.now());
      await f.engine.tick();
    }
  }

  const rollout = async () => (await f.service.get("reco", "staging")).environments[0]?.rollout;

  it("advances a healthy plan step by step once each step held its time, then completes", async () => {
    await f.service.startPlan("reco", "staging", plan(), "alice");
    assert.equal((await rollout())?.percentage, 5);
    const healthy = (at: number) => {
      feed(f.engine, at, "on", 150);
      feed(f.engine, at, "off", 300);
    };
    await run(5, healthy);
    assert.equal((await rollout())?.percentage, 5, "holds until the step's 10 s are over");
    await run(6, healthy);
    assert.equal((await rollout())?.percentage, 25);
    await run(11, healthy);
    assert.equal((await rollout())?.percentage, 50);
    await run(11, healthy);
    const done = await rollout();
    assert.equal(done?.state, "completed");
    assert.equal((await f.service.get("reco", "staging")).environments[0]?.serving, "100% on by userId (else off)");
    const steps = (await f.events.query({ type: "flag.rollout.", limit: 100 })).map((e) => e.type);
    assert.deepEqual(steps, [
      "flag.rollout.started",
      "flag.rollout.step",
      "flag.rollout.step",
      "flag.rollout.step",
      "flag.rollout.completed",
    ]);
  });

  it("does not advance without evidence: too little traffic holds the step and says what is missing", async () => {
    await f.service.startPlan("reco", "staging", plan(), "alice");
    await run(30, (at) => {
      feed(f.engine, at, "on", 1);
      feed(f.engine, at, "off", 20);
    });
    const r = await rollout();
    assert.equal(r?.percentage, 5);
    assert.match(r?.message ?? "", /too little traffic/);
  });

  it("pauses when the feature errors more than the control, with the verdict as evidence", async () => {
    await f.service.startPlan("reco", "staging", plan({ guards: { errors: "2x" } }), "alice");
    await run(20, (at) => {
      feed(f.engine, at, "on", 50, 10);
      feed(f.engine, at, "off", 500, 0);
    });
    const r = await rollout();
    assert.equal(r?.state, "paused");
    assert.equal(r?.percentage, 5);
    const paused = (await f.events.query({ type: "flag.rollout.paused", limit: 10 }))[0];
    assert.ok(paused, "a flag.rollout.paused event");
    assert.equal(paused.actor, "rampart");
    const verdict = paused.data.verdict as { decision: string; checks: Array<{ metric: string; decision: string }> };
    assert.equal(verdict.decision, "fail");
    assert.ok(verdict.checks.some((c) => c.metric === "error_rate" && c.decision === "fail"));
    // Paused: the flag stays where it was, and no more steps happen.
    await run(30, () => undefined);
    assert.equal((await rollout())?.percentage, 5);
    assert.equal((await f.service.evaluate("reco", "staging", { userId: "x" })).reason === "DISABLED", false);
  });

  it("turns the flag off when onFail is off, and the kill reaches the snapshot", async () => {
    await f.service.startPlan("reco", "staging", plan({ onFail: "off", guards: { p99: "1.5x" } }), "alice");
    await run(20, (at) => {
      feed(f.engine, at, "on", 100, 0, 900);
      feed(f.engine, at, "off", 400, 0, 20);
    });
    assert.equal((await rollout())?.state, "failed");
    assert.equal((await f.service.evaluate("reco", "staging", { userId: "u1" })).reason, "DISABLED");
    const types = (await f.events.query({ type: "flag.", limit: 100 })).map((e) => e.type);
    assert.ok(types.includes("flag.killed") && types.includes("flag.rollout.failed"), types.join(","));
  });

  it("resumes after a control-plane restart from the persisted plan, step and step start", async () => {
    await f.service.startPlan("reco", "staging", plan(), "alice");
    const healthy = (engine: FlagRolloutEngine) => (at: number) => {
      feed(engine, at, "on", 150);
      feed(engine, at, "off", 300);
    };
    await run(11, healthy(f.engine));
    assert.equal((await rollout())?.percentage, 25);
    // A new engine over the same store, as after a restart: no in-memory counts, same plan.
    const restarted = new FlagRolloutEngine({
      rollouts: new FlagRolloutStore(f.database.db),
      store: new FlagStore(f.database.db),
      writer: f.writer,
      events: f.events,
      clock: f.clock,
    });
    for (let s = 0; s < 11; s++) {
      f.clock.advance(1000);
      healthy(restarted)(f.clock.now());
      await restarted.tick();
    }
    assert.equal((await rollout())?.percentage, 50);
  });

  it("a manual change stops the plan: a person took over", async () => {
    await f.service.startPlan("reco", "staging", plan(), "alice");
    await f.service.percentRollout("reco", "staging", { percentage: 40, by: "userId" }, "bob");
    assert.equal((await rollout())?.state, "stopped");
    await run(15, (at) => {
      feed(f.engine, at, "on", 150);
      feed(f.engine, at, "off", 300);
    });
    assert.match((await f.service.get("reco", "staging")).environments[0]?.serving ?? "", /^40% on/);
  });

  /** `users` exposed to each variation, of whom the given share buy once (value 10) right after. */
  async function business(convert: Record<string, number>, users: number): Promise<void> {
    const at = f.clock.now();
    const exposures = [];
    const events = [];
    for (const [variation, rate] of Object.entries(convert)) {
      for (let i = 0; i < users; i++) {
        const user = userHash(`${variation}-${i}`);
        exposures.push({ flag: "reco", variation, user, atMs: at });
        if (i < rate * users) events.push({ key: "purchase", user, atMs: at + 1, value: 10 });
      }
    }
    f.clock.advance(1000);
    await f.experiments.ingestSdk("staging", { exposures, events });
  }

  const healthy = (at: number) => {
    feed(f.engine, at, "on", 150);
    feed(f.engine, at, "off", 300);
  };

  it("pauses on a business guard: the feature converts significantly below 0.98x control, with the evidence", async () => {
    await f.service.startPlan("reco", "staging", plan({ guards: { business: ["conversion:purchase>=0.98x"] } }), "alice");
    await business({ on: 0.1, off: 0.2 }, 1500);
    await run(3, healthy);
    const r = await rollout();
    assert.equal(r?.state, "paused");
    assert.equal(r?.percentage, 5, "the flag stays where it was");
    assert.match(
      r?.message ?? "",
      /business guard conversion:purchase>=0.98x failed: on 0\.1000 per user \(1500 users\) against off 0\.2000/,
    );
    const paused = (await f.events.query({ type: "flag.rollout.paused", limit: 10 }))[0];
    const evidence = paused?.data.businessGuards as Array<{ guard: string; holds: boolean; margin: { high: number } }>;
    assert.equal(evidence[0]?.guard, "conversion:purchase>=0.98x");
    assert.equal(evidence[0]?.holds, false);
    assert.ok((evidence[0]?.margin.high ?? 0) < 0, "the interval of on − 0.98 × off is wholly below 0");
    assert.equal(r?.businessGuards?.[0]?.holds, false, "the plan's status shows the failed guard");
  });

  it("advances while every business guard holds: no evidence of a drop is not a failure", async () => {
    await f.service.startPlan(
      "reco",
      "staging",
      plan({ guards: { business: ["conversion:purchase>=0.98x", "value:purchase>=0.95x"] } }),
      "alice",
    );
    await business({ on: 0.2, off: 0.2 }, 1500);
    await run(11, healthy);
    const r = await rollout();
    assert.equal(r?.percentage, 25);
    const step = (await f.events.query({ type: "flag.rollout.step", limit: 10 }))[0];
    const evidence = step?.data.businessGuards as Array<{ guard: string; holds: boolean; alpha: number }>;
    assert.deepEqual(
      evidence.map((g) => [g.guard, g.holds, g.alpha]),
      [
        ["conversion:purchase>=0.98x", true, DEFAULT_JUDGE_OPTIONS.alpha / 2],
        ["value:purchase>=0.95x", true, DEFAULT_JUDGE_OPTIONS.alpha / 2],
      ],
    );
  });

  it("a business guard that fails later pauses the plan at the step it reached (onFail off kills the flag)", async () => {
    await f.service.startPlan("reco", "staging", plan({ onFail: "off", guards: { business: ["value:purchase>=0.95x"] } }), "alice");
    await run(11, healthy);
    assert.equal((await rollout())?.percentage, 25, "no events yet: nothing against the guard");
    await business({ on: 0.05, off: 0.3 }, 1000);
    await run(1, healthy);
    assert.equal((await rollout())?.state, "failed");
    assert.equal((await f.service.evaluate("reco", "staging", { userId: "u1" })).reason, "DISABLED");
    const failed = (await f.events.query({ type: "flag.rollout.failed", limit: 10 }))[0];
    assert.match(failed?.message ?? "", /failed at 25% .*business guard value:purchase>=0\.95x failed/);
  });
});
