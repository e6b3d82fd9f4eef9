import { LATENCY_BUCKETS_MS } from "../edge/latency-histogram.ts";
import { maxEventsBelow } from "./sequential-test.ts";

/**
 * Reading the edge's fixed-bucket latency histograms (bounds in LATENCY_BUCKETS_MS, last +Inf). Inside a
 * bucket, requests are taken as spread evenly, as Prometheus's histogram_quantile does: that is the one
 * approximation in the latency checks (their error is bounded by the bucket width, ~1.5x apart).
 */

export function histogramTotal(buckets: readonly number[]): number {
  let total = 0;
  for (const count of buckets) total += count;
  return total;
}

function lowerBound(index: number): number {
  return index === 0 ? 0 : (LATENCY_BUCKETS_MS[index - 1] as number);
}

/** How many requests took longer than `ms` (fractional inside the bucket that holds `ms`). */
export function countSlowerThan(buckets: readonly number[], ms: number): number {
  if (ms === Number.POSITIVE_INFINITY) return 0;
  let above = 0;
  for (let i = 0; i < buckets.length; i++) {
    const count = buckets[i] ?? 0;
    if (count === 0) continue;
    const lo = lowerBound(i);
    const hi = LATENCY_BUCKETS_MS[i] as number;
    // Requests past the last finite bound (over a minute) count as slower than any finite threshold.
    if (ms <= lo || hi === Number.POSITIVE_INFINITY) above += count;
    else if (ms < hi) above += (count * (hi - ms)) / (hi - lo);
  }
  return above;
}

/** The latency below which `rank` requests fall (rank in 0..total); NaN for an empty histogram. */
export function latencyAtRank(buckets: readonly number[], rank: number): number {
  const total = histogramTotal(buckets);
  if (total === 0) return Number.NaN;
  let before = 0;
  for (let i = 0; i < buckets.length; i++) {
    const count = buckets[i] ?? 0;
    if (count === 0) continue;
    if (before + count >= rank) {
      const hi = LATENCY_BUCKETS_MS[i] as number;
      const lo = lowerBound(i);
      if (hi === Number.POSITIVE_INFINITY) return lo;
      return lo + ((hi - lo) * Math.max(0, rank - before)) / count;
    }
    before += count;
  }
  return lowerBound(buckets.length - 1);
}

/** Point estimate of the q-quantile (q = 0.99 for p99), ms; NaN when empty. */
export function latencyQuantile(buckets: readonly number[], q: number): number {
  return latencyAtRank(buckets, q * histogramTotal(buckets));
}

/**
 * Time-uniform upper confidence bound on the true q-quantile, ms: the lowest latency U such that we are
 * confident (always-valid, level α) that fewer than a (1 − q) share of requests are slower than U — which
 * implies the q-quantile is below U. +Inf while there are too few requests to bound it (a p99 needs
 * roughly ln(1/α)/0.01 ≈ 1,000 of them before any bound exists).
 */
export function latencyQuantileUpperBound(buckets: readonly number[], q: number, alpha: number): number {
  const total = histogramTotal(buckets);
  const maxSlow = maxEventsBelow(total, 1 - q, alpha);
  if (maxSlow < 0) return Number.POSITIVE_INFINITY;
  return latencyAtRank(buckets, total - maxSlow);
}
