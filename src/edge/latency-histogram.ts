/**
 * Fixed latency buckets shared by the edge (which counts into them) and the control plane (which
 * estimates percentiles from them). Fixed bounds make aggregates from different edges and seconds
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
