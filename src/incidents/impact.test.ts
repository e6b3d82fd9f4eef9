import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { countBetween, findImpactStart } from "./impact.ts";

const S = 1000;
const second = (at: number, requests: number, errors: number, buckets: number[] = [requests - errors]) => ({
  at,
  requests,
  errors,
  buckets,
});

describe("impact start from the edge's per-second counts", () => {
  it("is the first failing second of a minute off the baseline, even late in a clock minute", () => {
    const seconds = [];
    for (let t = 0; t < 300; t++) seconds.push(second(t * S, 10, t === 30 ? 1 : 0));
    // One stray failure at 30 s is within a baseline; from 295 s on, a quarter fail.
    for (let t = 300; t < 400; t++) seconds.push(second(t * S, 10, t >= 295 + 5 && t % 2 === 0 ? 5 : 0));
    const start = findImpactStart(seconds);
    assert.equal(start?.at, 300 * S);
    assert.match(start?.reason ?? "", /error ratio .* against a baseline of 0\.0\d%/);
  });

  it("a stray failure seconds before the fault does not move the onset to it (the CUSUM change point)", () => {
    const seconds = [];
    for (let t = 0; t < 120; t++) seconds.push(second(t * S, 50, 0));
    // The CI run this reproduces: one healthy-release failure 4 s before the bad release took half the traffic.
    seconds.push(second(120 * S, 50, 1));
    for (let t = 121; t < 124; t++) seconds.push(second(t * S, 50, 0));
    for (let t = 124; t < 200; t++) seconds.push(second(t * S, 50, 25));
    assert.equal(findImpactStart(seconds)?.at, 124 * S);
    // With nothing but the one stray failure, there is no impact at all.
    assert.equal(findImpactStart(seconds.slice(0, 124)), null);
  });

  it("finds a latency regression when errors stay at baseline, and nothing in a steady series", () => {
    // Bucket indices of LATENCY_BUCKETS_MS: 8 is ≤ 10 ms, 20 is ≤ 500 ms.
    const fast = Array.from({ length: 32 }, (_, i) => (i === 8 ? 10 : 0));
    const slow = Array.from({ length: 32 }, (_, i) => (i === 20 ? 10 : 0));
    const steady = Array.from({ length: 200 }, (_, t) => second(t * S, 10, 0, fast));
    assert.equal(findImpactStart(steady), null);
    assert.equal(countBetween(steady, 10 * S, 20 * S).requests, 100, "from inclusive, to exclusive");
    const regressed = [...steady, ...Array.from({ length: 100 }, (_, t) => second((200 + t) * S, 10, 0, slow))];
    const start = findImpactStart(regressed);
    assert.ok(start, "a latency impact");
    assert.equal(start.at, 200 * S, "the first slow second");
    assert.match(start.reason, /p99 latency/);
  });
});
