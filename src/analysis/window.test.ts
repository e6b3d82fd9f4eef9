import assert from "node:assert/strict";
import { test } from "node:test";
import type { RequestSeries } from "../edge/edge-stats.types.ts";
import { emptyBuckets, latencyBucketIndex } from "../shared/measurement.ts";
import { emptyWindow, isFailedStatus, mergeWindows, windowFromSeries } from "./window.ts";

function series(release: number, status: number, count: number, ms: number, app = "web", env = "production"): RequestSeries {
  const buckets = emptyBuckets();
  buckets[latencyBucketIndex(ms)] = count;
  return { env, app, release, instance: `i${release}`, status, count, sumMs: count * ms, buckets };
}

test("5xx, including the edge's own 502/503/504, are failures; 4xx are the client's and are not", () => {
  for (const status of [500, 502, 503, 504, 599]) assert.equal(isFailedStatus(status), true, `${status}`);
  for (const status of [200, 301, 404, 429, 499]) assert.equal(isFailedStatus(status), false, `${status}`);
});

test("a drain of the edge's stats folds into canary and stable, failed requests kept out of latency", () => {
  const window = windowFromSeries(
    {
      fromMs: 1000,
      toMs: 2000,
      series: [
        series(8, 200, 90, 12),
        series(8, 404, 5, 3),
        series(8, 502, 5, 1),
        series(7, 200, 1000, 10),
        series(7, 500, 2, 30_000),
        series(8, 200, 50, 10, "api"),
        series(8, 200, 50, 10, "web", "staging"),
        series(0, 404, 9, 1),
      ],
    },
    { env: "production", app: "web", canaryRelease: 8, stableRelease: 7 },
  );
  assert.deepEqual([window.canary.requests, window.canary.errors], [100, 5]);
  assert.deepEqual([window.stable.requests, window.stable.errors], [1002, 2]);
  assert.equal(
    window.canary.latency.reduce((a, b) => a + b, 0),
    95,
  );
  assert.equal(window.stable.latency[latencyBucketIndex(30_000)], 0);
  assert.deepEqual([window.fromMs, window.toMs], [1000, 2000]);
});

test("windows merge by adding, so seconds and edges combine in any order", () => {
  const selector = { env: "production", app: "web", canaryRelease: 2, stableRelease: 1 };
  const a = windowFromSeries({ fromMs: 5000, toMs: 6000, series: [series(2, 200, 3, 10), series(1, 503, 1, 1)] }, selector);
  const b = windowFromSeries({ fromMs: 6000, toMs: 7000, series: [series(2, 500, 2, 10), series(1, 200, 9, 10)] }, selector);
  const merged = mergeWindows(mergeWindows(emptyWindow(), a), b);
  assert.deepEqual(merged, mergeWindows(b, a));
  assert.deepEqual([merged.fromMs, merged.toMs], [5000, 7000]);
  assert.deepEqual([merged.canary.requests, merged.canary.errors, merged.stable.requests, merged.stable.errors], [5, 2, 10, 1]);
  assert.equal(merged.canary.latency[latencyBucketIndex(10)], 3);
});
