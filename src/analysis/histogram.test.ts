import assert from "node:assert/strict";
import { test } from "node:test";
import { bucketTotal, emptyBuckets, latencyBucketIndex } from "../shared/measurement.ts";
import { countSlowerThan, latencyQuantileUpperBound } from "./histogram.ts";
import { seededRandom } from "./random.ts";
import { bucketProbabilities, modelQuantile, sampleSide } from "./synthetic-traffic.ts";

function histogram(entries: Record<number, number>): number[] {
  const buckets = emptyBuckets();
  for (const [ms, n] of Object.entries(entries))
    buckets[latencyBucketIndex(Number(ms))] = (buckets[latencyBucketIndex(Number(ms))] ?? 0) + n;
  return buckets;
}

test("requests slower than a threshold: whole buckets above it, a linear share of the one holding it", () => {
  // 100 requests in (75, 100], 10 in (150, 200], 1 over a minute.
  const h = histogram({ 90: 100, 180: 10, 90000: 1 });
  assert.equal(countSlowerThan(h, 100), 11);
  assert.equal(countSlowerThan(h, 75), 111);
  assert.equal(countSlowerThan(h, 87.5), 61);
  assert.equal(countSlowerThan(h, 175), 1 + 5);
  assert.equal(countSlowerThan(h, 120_000), 1); // timed-out requests are slower than anything
  assert.equal(countSlowerThan(h, Number.POSITIVE_INFINITY), 0);
});

test("the p99 upper bound is +Inf on little traffic, then above and close to the true p99", () => {
  const model = { errorRate: 0, medianMs: 40, sigma: 0.47 };
  const probabilities = bucketProbabilities(model);
  const trueP99 = modelQuantile(model, 2.3263);
  const rng = seededRandom(3);
  assert.equal(latencyQuantileUpperBound(sampleSide(rng, 300, model, probabilities).latency, 0.99, 0.001), Number.POSITIVE_INFINITY);
  let below = 0;
  for (let i = 0; i < 200; i++) {
    const side = sampleSide(rng, 20_000, model, probabilities);
    assert.equal(bucketTotal(side.latency), 20_000);
    const bound = latencyQuantileUpperBound(side.latency, 0.99, 0.001);
    if (bound < trueP99) below++;
    assert.ok(bound < 1.3 * trueP99, `${bound} vs ${trueP99}`);
  }
  assert.equal(below, 0);
});
