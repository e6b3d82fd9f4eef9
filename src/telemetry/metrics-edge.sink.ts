import type { EdgeStatsSink } from "../traffic/edge-controller.ts";
import type { EdgeStats } from "../edge/edge-stats.types.ts";
import { addBuckets, LATENCY_BUCKETS_MS } from "../shared/measurement.ts";
import { FlagVariantMetrics } from "./metrics-flag.sink.ts";
import type { HistogramSeries, MetricsStore } from "./metrics.store.ts";

export const HTTP_DURATION = "rampart_http_request_duration_seconds";
/** The request count is the duration histogram's count; queries may name it by its Prometheus name. */
export const HTTP_REQUESTS = "rampart_http_requests_total";
/** The edge's bounds in seconds, the unit Prometheus conventions (and Grafana's panels) expect. */
export const LATENCY_BOUNDS_SECONDS: readonly number[] = Object.freeze(LATENCY_BUCKETS_MS.map((ms) => ms / 1000));

/** Cumulative totals for /metrics, per series without the instance label. */
export interface EdgeTotal {
  labels: { env: string; app: string; release: string; route: string; code: string };
  count: number;
  sum: number;
  buckets: Float64Array;
}

/**
 * Files each of the edge's per-second collections into the store (one histogram series per env × app ×
 * release × route × instance × status code) and keeps the running totals /metrics exposes. The exposition
 * leaves the instance out (its cardinality churns with every deploy) and its totals are never evicted, so a
 * counter Prometheus scrapes only resets when the control plane restarts.
 */
export class EdgeMetricsSink implements EdgeStatsSink {
  readonly #store: MetricsStore;
  readonly #totals = new Map<string, EdgeTotal>();
  readonly #maxTotals: number;
  readonly #series = new Map<string, HistogramSeries>();
  #generation = 0;
  readonly #flags: FlagVariantMetrics;

  constructor(store: MetricsStore) {
    this.#store = store;
    this.#flags = new FlagVariantMetrics(store, LATENCY_BOUNDS_SECONDS);
    this.#maxTotals = store.maxSeries;
  }

  acceptEdgeStats(stats: EdgeStats, atMs: number): void {
    const sec = Math.floor(atMs / 1000);
    if (this.#generation !== this.#store.generation) {
      this.#series.clear();
      this.#generation = this.#store.generation;
    }
    for (const s of stats.series) {
      const route = s.route ?? "";
      const release = String(s.release);
      const code = String(s.status);
      const sumSeconds = s.sumMs / 1000;
      // The same few series arrive every second: find them by a flat key instead of building label sets.
      const key = `${s.env}\u0000${s.app}\u0000${release}\u0000${route}\u0000${code}`;
      const seriesKey = `${key}\u0000${s.instance}`;
      let series = this.#series.get(seriesKey);
      if (!series) {
        series = this.#store.histogramSeries(
          HTTP_DURATION,
          { env: s.env, app: s.app, release, route, instance: s.instance, code },
          LATENCY_BOUNDS_SECONDS,
        );
        if (series) this.#series.set(seriesKey, series);
      }
      if (series) this.#store.recordHistogram(series, sec, s.count, sumSeconds, s.buckets);
      let total = this.#totals.get(key);
      if (!total) {
        if (this.#totals.size >= this.#maxTotals) continue;
        total = {
          labels: { env: s.env, app: s.app, release, route, code },
          count: 0,
          sum: 0,
          buckets: new Float64Array(LATENCY_BOUNDS_SECONDS.length),
        };
        this.#totals.set(key, total);
      }
      total.count += s.count;
      total.sum += sumSeconds;
      addBuckets(total.buckets, s.buckets);
    }
    this.#flags.record(stats.flagVariants ?? [], sec);
  }

  totals(): EdgeTotal[] {
    return [...this.#totals.values()];
  }
}
