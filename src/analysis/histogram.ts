import { bucketLowerBound, bucketTotal, LATENCY_BUCKETS_MS, valueAtRank } from "../shared/measurement.ts";
import { maxEventsBelow } from "./sequential-test.ts";

/**
 * Reading the edge's fixed-bucket latency histograms for the latency checks (bounds in LATENCY_BUCKETS_MS, last
 * +Inf). Inside a bucket, requests are taken as spread evenly, as the shared quantile estimator does
 * (src/shared/measurement.ts): that is the one approximation (its error is bounded by the bucket width, ~1.5x apart).
 */

/** How many requests took longer than `ms` (fractional inside the bucket that holds `ms`). */
export function countSlowerThan(buckets: readonly number[], ms: number): number {
  if (ms === Number.POSITIVE_INFINITY) return 0;
  let above = 0;
  for (let i = 0; i < buckets.length; i++) {
    const count = buckets[i] ?? 0;
    if (count === 0) continue;
    const lo = bucketLowerBound(i);
    const hi = LATENCY_BUCKETS_MS[i] as number;
    // Requests past the last finite bound (over a minute) count as slower than any finite threshold.
    if (ms <= lo || hi === Number.POSITIVE_INFINITY) above += count;
    else if (ms < hi) above += (count * (hi - ms)) / (hi - lo);
  }
  return above;
}

/**
 * Time-uniform upper confidence bound on the true q-quantile, ms: the lowest latency U such that we are
 * confident (always-valid, level α) that fewer than a (1 − q) share of requests are slower than U — which
 * implies the q-quantile is below U. +Inf while there are too few requests to bound it (a p99 needs
 * roughly ln(1/α)/0.01 ≈ 1,000 of them before any bound exists).
 */
export function latencyQuantileUpperBound(buckets: readonly number[], q: number, alpha: number): number {
  const total = bucketTotal(buckets);
  const maxSlow = maxEventsBelow(total, 1 - q, alpha);
  if (maxSlow < 0) return Number.POSITIVE_INFINITY;
  return valueAtRank(buckets, total - maxSlow);
}
