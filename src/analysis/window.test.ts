import assert from "node:assert/strict";
import { test } from "node:test";
import { emptyBuckets, latencyBucketIndex, recordLatency } from "../shared/measurement.ts";
import { addSides, emptySide, type SideCounts } from "./window.ts";

function side(requests: number, errors: number, latenciesMs: number[]): SideCounts {
  const latency = emptyBuckets();
  for (const ms of latenciesMs) recordLatency(latency, ms);
  return { requests, errors, latency };
}

test("sides add up requests, errors and latency buckets, in any order, leaving their inputs alone", () => {
  const a = side(5, 1, [10, 10, 90, 400]);
  const b = side(3, 2, [10]);
  const sum = addSides(addSides(emptySide(), a), b);
  assert.deepEqual(sum, addSides(b, addSides(a, emptySide())));
  assert.deepEqual([sum.requests, sum.errors], [8, 3]);
  assert.equal(sum.latency[latencyBucketIndex(10)], 3);
  assert.equal(sum.latency.length, emptySide().latency.length);
  assert.deepEqual(a, side(5, 1, [10, 10, 90, 400]));
});
