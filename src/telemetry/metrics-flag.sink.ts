import type { FlagVariantSeries } from "../edge/edge-stats.types.ts";
import { emptyBuckets } from "../shared/measurement.ts";
import type { MetricsStore } from "./metrics.store.ts";

/**
 * Requests the edge answered per flag variation (from the x-rampart-flags header the SDK sets), as a histogram
 * like the HTTP one, so the console and `rampart metrics query` read requests/s, error % and p99 per variation
 * over time with the same query as any other metric.
 */
export const FLAG_DURATION = "rampart_flag_request_duration_seconds";

/**
 * The edge times only a variation's successes (a fast 500 is not good latency), so each variation files two
 * series: `outcome="ok"` with the latency buckets and `outcome="error"` with a count and no buckets. A rate
 * over both is the variation's requests/s, the error series' share its error rate, and a quantile reads the
 * buckets, which hold the successes only, as the guarded rollout judges them.
 */
export function recordFlagVariants(
  store: MetricsStore,
  bounds: readonly number[],
  series: readonly FlagVariantSeries[],
  sec: number,
): void {
  for (const s of series) {
    const labels = { env: s.env, app: s.app, release: String(s.release), flag: s.flag, variation: s.variation };
    const ok = s.count - s.errors;
    if (ok > 0) {
      const target = store.histogramSeries(FLAG_DURATION, { ...labels, outcome: "ok" }, bounds);
      if (target) store.recordHistogram(target, sec, ok, s.sumMs / 1000, s.buckets);
    }
    if (s.errors > 0) {
      const target = store.histogramSeries(FLAG_DURATION, { ...labels, outcome: "error" }, bounds);
      if (target) store.recordHistogram(target, sec, s.errors, 0, emptyBuckets());
    }
  }
}
