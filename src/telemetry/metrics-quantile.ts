import { bucketQuantile, bucketTotal } from "../shared/measurement.ts";

/**
 * The quantile of a histogram as Prometheus's histogram_quantile answers it, so Rampart's answer and a Prometheus
 * server's agree on the same buckets: the shared estimator (src/shared/measurement.ts), plus PromQL's answers at
 * the edges (none for an empty histogram or one with only the +Inf bucket, ±Inf for q outside 0..1).
 * `buckets` are per bucket (not cumulative), aligned with ascending `bounds`.
 */
export function histogramQuantile(q: number, bounds: readonly number[], buckets: ArrayLike<number>): number | null {
  if (!(bucketTotal(buckets) > 0) || Number.isNaN(q)) return null;
  if (q < 0) return Number.NEGATIVE_INFINITY;
  if (q > 1) return Number.POSITIVE_INFINITY;
  if (bounds[0] === Number.POSITIVE_INFINITY) return null;
  const value = bucketQuantile(buckets, q, bounds);
  return Number.isNaN(value) ? null : value;
}
