/**
 * The one measurement vocabulary of the edge (which counts into it), the canary analysis, the metrics store and
 * the flag guards (which read it): the latency buckets, how histograms are recorded, merged and read as
 * quantiles, and what counts as a failed request. Pure and dependency-free, so the data-plane edge imports it
 * without pulling in anything of the control plane.
 */

/**
 * Fixed latency bucket bounds, ms, the last +Inf. Fixed bounds make aggregates from different edges and seconds
 * addable bucket by bucket. Roughly log-spaced with "round" values so they read well in Prometheus.
 */
export const LATENCY_BUCKETS_MS: readonly number[] = Object.freeze([
  0.5,
  1,
  1.5,
  2,
  3,
  4,
  5,
  7.5,
  10,
  15,
  20,
  30,
  40,
  50,
  75,
  100,
  150,
  200,
  300,
  400,
  500,
  750,
  1000,
  1500,
  2000,
  3000,
  5000,
  10000,
  20000,
  30000,
  60000,
  Number.POSITIVE_INFINITY,
]);

export const LATENCY_BUCKET_COUNT = LATENCY_BUCKETS_MS.length;

/** Per-bucket counts (not cumulative), aligned with ascending bounds; a typed array ignores writes past its end. */
export interface MutableBuckets {
  [index: number]: number;
  readonly length: number;
}

/**
 * A failed request is a 5xx, the edge's own 502/503/504 included: the release (or the way to it) failed. 4xx are
 * the client's doing (a bad token, a missing page), which a new release does not cause in a way analysis could
 * tell from users' mistakes. The edge passes any 3-digit status through, and one above 599 is no answer a
 * client understands, so it counts as failed too.
 */
export function isFailedRequest(status: number): boolean {
  return status >= 500;
}

/** A histogram with every bucket at 0 (the edge's latency buckets unless told otherwise). */
export function emptyBuckets(count: number = LATENCY_BUCKET_COUNT): number[] {
  return new Array<number>(count).fill(0);
}

/** Index of the first bucket whose upper bound is >= ms (binary search: ~5 comparisons, no allocation). */
export function latencyBucketIndex(ms: number): number {
  // NaN or negative durations cannot happen with a monotonic clock, but must never index out of range.
  if (!(ms > 0)) return 0;
  let lo = 0;
  let hi = LATENCY_BUCKET_COUNT - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ms <= (LATENCY_BUCKETS_MS[mid] as number)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Counts one duration into an edge latency histogram: the per-request path, so no allocation. */
export function recordLatency(buckets: MutableBuckets, ms: number): void {
  const i = latencyBucketIndex(ms);
  buckets[i] = (buckets[i] as number) + 1;
}

/**
 * Adds `from` into `into` bucket by bucket and returns `into`. A shorter array grows (missing buckets count 0); a
 * typed array keeps its length. Adding is exact, associative and commutative, which is what lets edges, workers
 * and seconds be combined in any order.
 */
export function addBuckets<T extends MutableBuckets>(into: T, from: ArrayLike<number>): T {
  for (let i = 0; i < from.length; i++) into[i] = (into[i] ?? 0) + ((from[i] as number | undefined) ?? 0);
  return into;
}

/** A new histogram, the sum of all of `histograms` (as long as the longest). */
export function mergeBuckets(histograms: readonly ArrayLike<number>[]): number[] {
  let length = 0;
  for (const h of histograms) length = Math.max(length, h.length);
  const out = emptyBuckets(length);
  for (const h of histograms) addBuckets(out, h);
  return out;
}

export function bucketTotal(buckets: ArrayLike<number>): number {
  let total = 0;
  for (let i = 0; i < buckets.length; i++) total += (buckets[i] as number | undefined) ?? 0;
  return total;
}

/** Lower edge of bucket `index`: the previous bound, and 0 for the first (or its own bound if that is negative). */
export function bucketLowerBound(index: number, bounds: readonly number[] = LATENCY_BUCKETS_MS): number {
  return index === 0 ? Math.min(0, bounds[0] ?? 0) : (bounds[index - 1] as number);
}

/**
 * The value below which `rank` observations fall (rank in 0..total), the way Prometheus's histogram_quantile
 * reads a histogram: find the bucket holding the rank and interpolate linearly inside it, as if its requests were
 * spread evenly (the one approximation, bounded by the bucket width); a rank in the +Inf bucket answers the
 * highest finite bound. NaN for an empty histogram.
 */
export function valueAtRank(buckets: ArrayLike<number>, rank: number, bounds: readonly number[] = LATENCY_BUCKETS_MS): number {
  const total = bucketTotal(buckets);
  const n = Math.min(buckets.length, bounds.length);
  if (!(total > 0) || n === 0) return Number.NaN;
  let before = 0;
  for (let i = 0; i < n; i++) {
    const count = (buckets[i] as number | undefined) ?? 0;
    if (count === 0) continue;
    if (before + count >= rank) {
      const hi = bounds[i] as number;
      const lo = bucketLowerBound(i, bounds);
      if (hi === Number.POSITIVE_INFINITY) return lo;
      return lo + ((hi - lo) * Math.max(0, rank - before)) / count;
    }
    before += count;
  }
  // Rounding left the rank just above the last count: the answer is the top of the highest finite bucket.
  return bucketLowerBound(n - 1, bounds);
}

/** Point estimate of the q-quantile (q = 0.99 for p99) in the bounds' unit; NaN when empty. */
export function bucketQuantile(buckets: ArrayLike<number>, q: number, bounds: readonly number[] = LATENCY_BUCKETS_MS): number {
  return valueAtRank(buckets, q * bucketTotal(buckets), bounds);
}
