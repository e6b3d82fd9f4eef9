import type { RumSeries } from "./edge-stats.types.ts";
import { addBuckets, emptyBuckets, LATENCY_BUCKETS_MS, recordLatency } from "../shared/measurement.ts";

/** The web vitals a beacon reports (web-vitals' metric names, lower-cased), and the JavaScript error count. */
export const RUM_VITALS = ["lcp", "inp", "cls", "fcp", "ttfb"] as const;
export type RumVital = (typeof RUM_VITALS)[number];
export type RumMetric = RumVital | "js_errors";

const METRICS: ReadonlySet<string> = new Set([...RUM_VITALS, "js_errors"]);

export function isRumMetric(name: string): name is RumMetric {
  return METRICS.has(name);
}

/**
 * CLS is unitless (0.1 is "good"): it is bucketed as thousandths on the latency bounds, so every vital shares one
 * bucket layout and adds up the same way; these are its bounds in its own unit.
 */
export const CLS_SCALE = 1000;
export const CLS_BUCKETS: readonly number[] = Object.freeze(LATENCY_BUCKETS_MS.map((b) => b / CLS_SCALE));

export function boundsOf(metric: RumVital): readonly number[] {
  return metric === "cls" ? CLS_BUCKETS : LATENCY_BUCKETS_MS;
}

/** Bounds memory when beacons name many releases (each series is env × app × release × metric). */
const MAX_SERIES = 10_000;

/**
 * The vitals and JS errors of verified beacons, per env × app × release × metric, folded like RequestSeries and
 * drained with the edge's other measurements every second.
 */
export class RumStats {
  private series = new Map<string, RumSeries>();
  dropped = 0;

  record(env: string, app: string, release: number, metric: RumMetric, value: number): void {
    const key = `${env}\u0000${app}\u0000${release}\u0000${metric}`;
    let s = this.series.get(key);
    if (s === undefined) {
      if (this.series.size >= MAX_SERIES) {
        this.dropped++;
        return;
      }
      s = { env, app, release, metric, count: 0, sum: 0, buckets: metric === "js_errors" ? [] : emptyBuckets() };
      this.series.set(key, s);
    }
    if (metric === "js_errors") {
      s.count += value;
      return;
    }
    s.count++;
    s.sum += value;
    recordLatency(s.buckets, metric === "cls" ? value * CLS_SCALE : value);
  }

  drain(): RumSeries[] {
    const out = [...this.series.values()];
    this.series = new Map();
    this.dropped = 0;
    return out;
  }
}

/** Adds a worker's RUM series into the primary's collection. */
export function mergeRumSeries(into: Map<string, RumSeries>, series: readonly RumSeries[]): void {
  for (const s of series) {
    const key = `${s.env}\u0000${s.app}\u0000${s.release}\u0000${s.metric}`;
    const existing = into.get(key);
    if (existing === undefined) {
      into.set(key, { ...s, buckets: s.buckets.slice() });
      continue;
    }
    existing.count += s.count;
    existing.sum += s.sum;
    addBuckets(existing.buckets, s.buckets);
  }
}
