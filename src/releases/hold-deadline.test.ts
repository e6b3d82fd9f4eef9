import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { APP_DEFAULTS } from "../config/manifest.defaults.ts";
import { holdCountdown, trackHold } from "./hold-deadline.ts";
import type { ReleaseRecord } from "./release.types.ts";
import { canaryShift } from "./rollout-canary.ts";
import { RolloutRollback, type StrategyContext } from "./rollout-context.ts";
import type { RolloutData, RolloutRecord } from "./rollout.types.ts";

const MINUTE = 60_000;
const base = { now: 0, due: true, paused: false, decision: "hold" as const, timeoutMs: 10 * MINUTE, heldSince: undefined };

describe("trackHold: a canary step held without a verdict has an end", () => {
  it("starts counting once the pause is over, and expires at release.hold_timeout", () => {
    assert.equal(trackHold({ ...base, due: false }).heldSince, undefined, "still in its pause: judging, not held");
    const started = trackHold({ ...base, now: 5_000 });
    assert.deepEqual(started, { heldSince: 5_000, expiredAfterMs: null, leftMs: 10 * MINUTE });
    const later = trackHold({ ...base, heldSince: 5_000, now: 5_000 + 9 * MINUTE });
    assert.equal(later.expiredAfterMs, null);
    assert.equal(holdCountdown(later, base.timeoutMs), "; fails in 1m without a verdict (release.hold_timeout 10m)");
    const expired = trackHold({ ...base, heldSince: 5_000, now: 5_000 + 10 * MINUTE });
    assert.equal(expired.expiredAfterMs, 10 * MINUTE);
  });

  it("an inconclusive verdict (continue) is held too; pass, fail and a pause by hand are not", () => {
    assert.equal(trackHold({ ...base, decision: "continue", heldSince: 0, now: 10 * MINUTE }).expiredAfterMs, 10 * MINUTE);
    for (const decision of ["pass", "fail"] as const)
      assert.equal(trackHold({ ...base, decision, heldSince: 0, now: 11 * MINUTE }).heldSince, undefined);
    const paused = trackHold({ ...base, paused: true, heldSince: 0, now: 11 * MINUTE });
    assert.deepEqual(paused, { heldSince: undefined, expiredAfterMs: null, leftMs: null }, "resume starts a fresh hold");
  });
});

describe("canaryShift with a fake clock: a step starved of traffic", () => {
  it("rolls back after hold_timeout with the step, split, counts and the next command", async () => {
    let now = 1_000_000;
    const rollout = fakeRollout({ canaryPercent: 25, stepStartedAt: now, trafficSince: now });
    const notes: string[] = [];
    const ctx = fakeContext(
      rollout,
      () => now,
      (ms) => (now += ms),
      notes,
    );
    // Too little traffic for the real analysis to decide: 3 canary requests against 41 on stable, whatever the time.
    const windows = async () =>
      new Map([
        [2, { requests: 3, errors: 0, buckets: [] }],
        [1, { requests: 41, errors: 0, buckets: [] }],
      ]);
    const error = await canaryShift(ctx, 1, windows).then(
      () => assert.fail("the held step must end the rollout"),
      (e: unknown) => e,
    );
    assert.ok(error instanceof RolloutRollback);
    assert.match(
      error.message,
      /^step 2\/4 \(25%\) held for 10m without a verdict: too little traffic to judge .*: canary \d+ of the 100 requests needed.*\. Send the canary more traffic, raise release\.hold_timeout, or decide by hand next time: rampart rollout web --env production promote\|abort$/,
    );
    assert.ok(
      notes.some((n) => /^step 2\/4 \(25%\): holding: too little traffic .*; fails in 10m without a verdict/.test(n)),
      notes.join("\n"),
    );
  });
});

function fakeRollout(data: RolloutData): RolloutRecord {
  return {
    id: 1,
    env: "production",
    app: "web",
    release: 2,
    fromRelease: 1,
    strategy: "canary",
    state: "shifting",
    step: 2,
    startedAt: 0,
    updatedAt: 0,
    finishedAt: null,
    data,
  };
}

function fakeContext(initial: RolloutRecord, now: () => number, advance: (ms: number) => void, notes: string[]): StrategyContext {
  let rollout = initial;
  const release: ReleaseRecord = {
    env: "production",
    app: "web",
    number: 2,
    artifactDigest: "sha256-test",
    config: {
      ...APP_DEFAULTS,
      name: "web",
      source: "/srv/web",
      exclude: [],
      run: "node server.js",
      release: { ...APP_DEFAULTS.release, strategy: "canary", pauseMs: 0, holdTimeoutMs: 10 * MINUTE },
    },
    strategy: "canary",
    status: "deploying",
    reason: null,
    sourceDir: "/srv/web",
    git: null,
    rollbackOf: null,
    createdBy: "test",
    createdAt: 0,
    liveAt: null,
    finishedAt: null,
  };
  const save = async (message: string, data: Partial<RolloutData> = {}) => {
    notes.push(message);
    rollout = { ...rollout, data: { ...rollout.data, ...data, message } };
  };
  return {
    release,
    rollout: () => rollout,
    reload: async () => rollout,
    fresh: () => [],
    stable: () => [],
    route: async (_on, _off, data) => {
      rollout = { ...rollout, data: { ...rollout.data, ...data } };
    },
    advance: async (step, message, data) => {
      rollout = { ...rollout, step };
      await save(message, data);
    },
    note: save,
    hold: async () => {},
    routable: () => true,
    // Each tick (one judgement a second) moves the fake clock on by six minutes.
    sleep: async () => {
      advance(6 * MINUTE);
    },
    now,
  };
}
