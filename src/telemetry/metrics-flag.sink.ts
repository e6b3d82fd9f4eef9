import type { FlagVariantSeries } from "../edge/edge-stats.types.ts";
import { emptyBuckets } from "../shared/measurement.ts";
import type { HistogramSeries, MetricsStore } from "./metrics.store.ts";

/**
 * Requests the edge answered per flag variation (from the x-rampart-flags header the SDK sets), as a histogram
 * like the HTTP one, so the console and `rampart metrics query` read requests/s, error % and p99 per variation
 * over time with the same query as any other metric.
 */
export const FLAG_DURATION = "rampart_flag_request_duration_seconds";

/**
 * Files the edge's per-variation series into the store. The edge times only a variation's successes (a fast 500
 * is not good latency), so each variation files two series: `outcome="ok"` with the latency buckets and
 * `outcome="error"` with a count and no buckets. A rate over both is the variation's requests/s, the error
 * series' share its error rate, and a quantile reads the buckets, which hold the successes only, as the guarded
 * rollout judges them. Flag series take at most a fifth of the store's series, so an app sending many flags
 * cannot crowd out the HTTP series.
 */
export class FlagVariantMetrics {
  readonly #store: MetricsStore;
  readonly #bounds: readonly number[];
  readonly #max: number;
  readonly #series = new Map<string, HistogramSeries>();
  #generation = 0;
  /** New series refused because flag series reached their share. */
  dropped = 0;

  constructor(store: MetricsStore, bounds: readonly number[], max = Math.max(1, Math.floor(store.maxSeries / 5))) {
    this.#store = store;
    this.#bounds = bounds;
    this.#max = max;
  }

  record(series: readonly FlagVariantSeries[], sec: number): void {
    if (this.#generation !== this.#store.generation) {
      // The store evicted idle series: the cached handles may be gone.
      this.#series.clear();
      this.#generation = this.#store.generation;
    }
    for (const s of series) {
      const ok = s.count - s.errors;
      if (ok > 0) this.#file(s, "ok", sec, ok, s.sumMs / 1000, s.buckets);
      if (s.errors > 0) this.#file(s, "error", sec, s.errors, 0, emptyBuckets());
    }
  }

  #file(s: FlagVariantSeries, outcome: string, sec: number, count: number, sumSeconds: number, buckets: ArrayLike<number>): void {
    const key = `${s.env}\u0000${s.app}\u0000${s.release}\u0000${s.flag}\u0000${s.variation}\u0000${outcome}`;
    let target = this.#series.get(key);
    if (!target) {
      if (this.#series.size >= this.#max) {
        this.dropped++;
        return;
      }
      const labels = { env: s.env, app: s.app, release: String(s.release), flag: s.flag, variation: s.variation, outcome };
      target = this.#store.histogramSeries(FLAG_DURATION, labels, this.#bounds);
      if (!target) return;
      this.#series.set(key, target);
    }
    this.#store.recordHistogram(target, sec, count, sumSeconds, buckets);
  }
}
