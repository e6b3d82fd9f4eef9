import assert from "node:assert/strict";
import { test } from "node:test";
import {
  addBuckets,
  bucketQuantile,
  bucketTotal,
  emptyBuckets,
  isFailedRequest,
  LATENCY_BUCKET_COUNT,
  LATENCY_BUCKETS_MS,
  latencyBucketIndex,
  mergeBuckets,
  recordLatency,
  valueAtRank,
} from "./measurement.ts";

function histogram(entries: Record<number, number>): number[] {
  const buckets = emptyBuckets();
  for (const [ms, n] of Object.entries(entries)) for (let i = 0; i < n; i++) recordLatency(buckets, Number(ms));
  return buckets;
}

test("bounds rise strictly from 0.5 ms to 60 s and end with +Inf", () => {
  assert.equal(LATENCY_BUCKETS_MS[0], 0.5);
  assert.equal(LATENCY_BUCKETS_MS.at(-2), 60_000);
  assert.equal(LATENCY_BUCKETS_MS.at(-1), Number.POSITIVE_INFINITY);
  for (let i = 1; i < LATENCY_BUCKETS_MS.length; i++) assert.ok((LATENCY_BUCKETS_MS[i] as number) > (LATENCY_BUCKETS_MS[i - 1] as number));
  assert.deepEqual(emptyBuckets(), new Array<number>(LATENCY_BUCKET_COUNT).fill(0));
});

test("a duration lands in the first bucket whose upper bound is >= it", () => {
  const linear = (ms: number): number => LATENCY_BUCKETS_MS.findIndex((bound) => ms <= bound);
  for (const ms of [0, 0.1, 0.5, 0.51, 1, 2.2, 7.5, 99.9, 100, 100.1, 59_999, 60_000, 60_001, 1e9]) {
    assert.equal(latencyBucketIndex(ms), linear(ms), `${ms} ms`);
  }
  assert.equal(latencyBucketIndex(Number.NaN), 0);
  assert.equal(latencyBucketIndex(-3), 0);
  const typed = new Float64Array(LATENCY_BUCKET_COUNT);
  recordLatency(typed, 90);
  recordLatency(typed, 90);
  assert.equal(typed[latencyBucketIndex(90)], 2);
});

test("5xx, including the edge's own 502/503/504, are failed requests; 1xx-4xx are not", () => {
  for (const status of [500, 502, 503, 504, 599, 600, 999]) assert.equal(isFailedRequest(status), true, `${status}`);
  for (const status of [100, 200, 204, 301, 304, 404, 429, 499]) assert.equal(isFailedRequest(status), false, `${status}`);
});

test("merging is associative and commutative, and equals recording everything into one histogram", () => {
  const a = histogram({ 1: 3, 90: 7 });
  const b = histogram({ 90: 2, 450: 1, 90000: 4 });
  const c = histogram({ 0.2: 5, 12: 9 });
  const all = histogram({ 0.2: 5, 1: 3, 12: 9, 90: 9, 450: 1, 90000: 4 });
  assert.deepEqual(addBuckets(addBuckets(emptyBuckets(), a), addBuckets(b.slice(), c)), all);
  assert.deepEqual(addBuckets(addBuckets(c.slice(), b), a), all);
  assert.deepEqual(mergeBuckets([a, b, c]), all);
  assert.deepEqual(mergeBuckets([c, a, b]), all);
  assert.deepEqual(mergeBuckets([]), []);
  assert.deepEqual(a, histogram({ 1: 3, 90: 7 }), "merging leaves its inputs alone");
});

test("merging grows a shorter array and leaves a typed array's length as it is", () => {
  assert.deepEqual(addBuckets([], [1, 2, 3]), [1, 2, 3]);
  assert.deepEqual(addBuckets([1], [1, 2, 3]), [2, 2, 3]);
  assert.deepEqual(mergeBuckets([[1], [0, 0, 4]]), [1, 0, 4]);
  assert.deepEqual([...addBuckets(new Float64Array([1, 1]), [1, 2, 3])], [2, 3]);
});

test("quantiles interpolate inside the bucket, as Prometheus's histogram_quantile does", () => {
  // 100 requests in (75, 100].
  const h = histogram({ 90: 100 });
  assert.equal(bucketTotal(h), 100);
  assert.equal(bucketQuantile(h, 0.5), 87.5);
  assert.equal(bucketQuantile(h, 0.99), 99.75);
  assert.equal(bucketQuantile(h, 0), 75);
  assert.equal(bucketQuantile(h, 1), 100);
  assert.ok(Number.isNaN(bucketQuantile(emptyBuckets(), 0.99)));
  assert.ok(Number.isNaN(bucketQuantile([], 0.5)));
  // Past the last finite bound: the highest finite bound, as Prometheus answers.
  assert.equal(bucketQuantile(histogram({ 90000: 3 }), 0.5), LATENCY_BUCKETS_MS.at(-2));
  // Empty buckets are skipped: the rank lands in the first bucket that holds requests.
  assert.equal(bucketQuantile(histogram({ 0.2: 10, 450: 10 }), 0.5), 0.5);
  assert.equal(valueAtRank(histogram({ 0.2: 10, 450: 10 }), 15), 450);
});

test("the quantile of a uniform distribution matches its true quantiles", () => {
  // 1,000 requests spread evenly over (100, 200] ms fill two buckets evenly: (100, 150] and (150, 200].
  const buckets = emptyBuckets();
  for (let i = 1; i <= 1000; i++) recordLatency(buckets, 100 + i / 10);
  for (const q of [0.1, 0.25, 0.5, 0.9, 0.99]) assert.ok(Math.abs(bucketQuantile(buckets, q) - (100 + 100 * q)) < 1e-9, `q=${q}`);
});

test("other bounds: seconds, a negative first bound, and a histogram with only +Inf", () => {
  const bounds = [0.1, 0.2, 0.5, Number.POSITIVE_INFINITY];
  assert.equal(bucketQuantile([10, 10, 0, 0], 0.5, bounds), 0.1);
  assert.ok(Math.abs(bucketQuantile([10, 10, 0, 0], 0.75, bounds) - 0.15) < 1e-12);
  assert.equal(bucketQuantile([1, 0, 0, 99], 0.99, bounds), 0.5);
  assert.equal(bucketQuantile([4, 0], 0.5, [-1, Number.POSITIVE_INFINITY]), -1);
  assert.equal(bucketQuantile([4], 0.5, [Number.POSITIVE_INFINITY]), 0);
  assert.ok(Number.isNaN(bucketQuantile([4], 0.5, [])));
});
