import assert from "node:assert/strict";
import { test } from "node:test";
import { LATENCY_BUCKETS_MS, latencyBucketIndex } from "./latency-histogram.ts";

test("bounds rise strictly from 0.5 ms to 60 s and end with +Inf", () => {
  assert.equal(LATENCY_BUCKETS_MS[0], 0.5);
  assert.equal(LATENCY_BUCKETS_MS.at(-2), 60_000);
  assert.equal(LATENCY_BUCKETS_MS.at(-1), Number.POSITIVE_INFINITY);
  for (let i = 1; i < LATENCY_BUCKETS_MS.length; i++) assert.ok((LATENCY_BUCKETS_MS[i] as number) > (LATENCY_BUCKETS_MS[i - 1] as number));
});

test("a duration lands in the first bucket whose upper bound is >= it", () => {
  const linear = (ms: number): number => LATENCY_BUCKETS_MS.findIndex((bound) => ms <= bound);
  for (const ms of [0, 0.1, 0.5, 0.51, 1, 2.2, 7.5, 99.9, 100, 100.1, 59_999, 60_000, 60_001, 1e9]) {
    assert.equal(latencyBucketIndex(ms), linear(ms), `${ms} ms`);
  }
  assert.equal(latencyBucketIndex(Number.NaN), 0);
  assert.equal(latencyBucketIndex(-3), 0);
});
