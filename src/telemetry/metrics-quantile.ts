/**
 * The quantile of a histogram the way Prometheus's histogram_quantile computes it, so Rampart's answer and
 * a Prometheus server's agree on the same buckets: find the bucket holding rank q·total and interpolate
 * linearly inside it (lower bound 0 for the first bucket); a rank in the +Inf bucket answers the highest
 * finite bound. `buckets` are per bucket (not cumulative), aligned with ascending `bounds`.
 */
export function histogramQuantile(q: number, bounds: readonly number[], buckets: ArrayLike<number>): number | null {
  let total = 0;
  for (let i = 0; i < buckets.length; i++) total += buckets[i] as number;
  if (!(total > 0) || Number.isNaN(q)) return null;
  if (q < 0) return Number.NEGATIVE_INFINITY;
  if (q > 1) return Number.POSITIVE_INFINITY;
  const rank = q * total;
  let cumulative = 0;
  for (let i = 0; i < bounds.length; i++) {
    const inBucket = (buckets[i] as number | undefined) ?? 0;
    const before = cumulative;
    cumulative += inBucket;
    if (cumulative < rank || inBucket === 0) continue;
    const upper = bounds[i] as number;
    if (upper === Number.POSITIVE_INFINITY) return i > 0 ? (bounds[i - 1] as number) : null;
    const lower = i === 0 ? Math.min(0, upper) : (bounds[i - 1] as number);
    return lower + ((upper - lower) * (rank - before)) / inBucket;
  }
  // Rounding left the rank just above the last count: the answer is the top of the highest finite bucket.
  return bounds.length > 1 ? (bounds[bounds.length - 2] as number) : null;
}
