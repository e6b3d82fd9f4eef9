import type { InstanceRecord } from "../runtime/instance.types.ts";
import { isFailedRequest } from "../shared/measurement.ts";
import { HTTP_DURATION } from "../telemetry/metrics-edge.sink.ts";
import { histogramQuantile } from "../telemetry/metrics-quantile.ts";
import { BUCKET_SLOT_SECONDS, type HistogramRing, RING_SECONDS } from "../telemetry/metrics-ring.ts";
import type { MetricsStore } from "../telemetry/metrics.store.ts";
import type { Series } from "../telemetry/metrics.types.ts";
import { INSTANCE_RESTARTS } from "../telemetry/runtime-metrics.ts";
import type { AlertTarget, Measurements } from "./alert-expr.eval.ts";
import { isRumMeasure, RUM_JS_ERRORS, RUM_MEASURES, RUM_METRIC_NAMES } from "../rum/rum-metrics.ts";
import type { InstantMeasure, WindowedMeasure } from "./alert-expr.types.ts";

export interface MeasurementDeps {
  store: Pick<MetricsStore, "select" | "size" | "generation">;
  /** Series grouped by app, kept across rounds while the store holds the same series. */
  index?: SeriesIndex;
  instances: () => readonly InstanceRecord[];
  baseline: (target: AlertTarget, measure: WindowedMeasure, windowMs: number) => number | null;
  checkFailed?: (target: AlertTarget, check: string | null) => number | null;
}

const QUANTILES: Partial<Record<WindowedMeasure, number>> = { latency_p50: 0.5, latency_p90: 0.9, latency_p95: 0.95, latency_p99: 0.99 };

interface Traffic {
  count: number;
  errors: number;
  /** Requests per status code (a handful per app), for status_ratio. */
  byCode: Map<string, number>;
}

/** `"4xx"` matches every 4xx code, `"404"` only itself. */
function statusMatches(status: string, code: string): boolean {
  return status.endsWith("xx") ? code.length === 3 && code[0] === status[0] : code === status;
}

interface Latency {
  buckets: Float64Array;
  bounds: readonly number[];
}

const BUCKET_SLOTS = RING_SECONDS / BUCKET_SLOT_SECONDS;

/**
 * Adds the ten-second bucket slots a window touches into `into`, as HistogramRing.addWindow does, without its
 * per-second count and sum scan: a quantile needs only the buckets.
 */
function bucketsIn(ring: HistogramRing, fromSec: number, toSec: number, into: Float64Array): void {
  const first = Math.floor((fromSec + 1) / BUCKET_SLOT_SECONDS);
  const last = Math.floor(toSec / BUCKET_SLOT_SECONDS);
  const width = ring.bucketCount;
  for (let slot = Math.max(first, last - BUCKET_SLOTS + 1); slot <= last; slot++) {
    const j = slot % BUCKET_SLOTS;
    if (ring.bucketStamps[j] !== slot + 1) continue;
    const base = j * width;
    for (let b = 0; b < width; b++) into[b] = (into[b] as number) + (ring.buckets[base + b] as number);
  }
}

/** Sum of a ring's per-second values over (fromSec, toSec], read straight from its arrays (the hot loop of a round). */
function countIn(stamps: Uint32Array, values: Float32Array | Float64Array, fromSec: number, toSec: number): number {
  let total = 0;
  let i = (fromSec + 1) % RING_SECONDS;
  for (let sec = fromSec + 1; sec <= toSec; sec++) {
    if (stamps[i] === sec) total += values[i] as number;
    if (++i === RING_SECONDS) i = 0;
  }
  return total;
}

/**
 * Measurements read from the metrics store's one-second rings at one instant (`nowMs`). Built once per round: the
 * series of each metric are grouped by env and app once, and the edge's traffic of each app and window is summed
 * once however many rules read it, which is what keeps a round over 10,000 series within its budget.
 */
export class StoreMeasurements implements Measurements {
  readonly #deps: MeasurementDeps;
  readonly #nowSec: number;
  readonly #byName = new Map<string, Map<string, Series[]>>();
  readonly #traffic = new Map<string, Traffic>();
  readonly #latency = new Map<string, Latency>();
  #instances: Map<string, InstanceRecord[]> | null = null;

  constructor(deps: MeasurementDeps, nowMs: number) {
    this.#deps = deps;
    // The second in progress is still being collected by the edge: windows end at the last whole second.
    this.#nowSec = Math.floor(nowMs / 1000) - 1;
  }

  windowed(target: AlertTarget, measure: WindowedMeasure, windowMs: number): number | null {
    if (measure === "js_errors") return this.#sumIncrease(this.#series(RUM_JS_ERRORS, target), windowMs) ?? 0;
    if (isRumMeasure(measure)) {
      const vitals = this.#histogramOf(RUM_METRIC_NAMES[RUM_MEASURES[measure]], target, windowMs);
      return histogramQuantile(0.75, vitals.bounds, vitals.buckets);
    }
    if (measure === "restarts") return this.#sumIncrease(this.#series(INSTANCE_RESTARTS, target), windowMs) ?? 0;
    if (measure === "request_rate") return this.#trafficOf(target, windowMs).count / (windowMs / 1000);
    if (measure === "error_ratio") {
      const traffic = this.#trafficOf(target, windowMs);
      return traffic.count > 0 ? traffic.errors / traffic.count : null;
    }
    const latency = this.#latencyOf(target, windowMs);
    return histogramQuantile(QUANTILES[measure] as number, latency.bounds, latency.buckets);
  }

  instant(target: AlertTarget, measure: InstantMeasure): number | null {
    const mine = this.#instancesOf(target);
    if (measure === "healthy_instances") return mine.filter((i) => i.status === "healthy").length;
    return mine.length;
  }

  metric(target: AlertTarget, name: string, labels: Record<string, string>, windowMs: number): number | null {
    const entries = Object.entries(labels);
    const series = this.#series(name, target).filter((s) => entries.every(([k, v]) => (s.labels[k] ?? "") === v));
    if (series.length === 0) return null;
    const fromSec = this.#nowSec - windowMs / 1000;
    let total: number | null = null;
    for (const s of series) {
      let v: number | undefined;
      if (s.kind === "gauge") {
        for (let sec = this.#nowSec; sec > fromSec && v === undefined; sec--) v = s.ring.get(sec);
      } else {
        const increase = this.#sumIncrease([s], windowMs);
        v = increase === undefined ? undefined : increase / (windowMs / 1000);
      }
      if (v !== undefined) total = (total ?? 0) + v;
    }
    return total;
  }

  statusRatio(target: AlertTarget, status: string, windowMs: number): number | null {
    const traffic = this.#trafficOf(target, windowMs);
    if (traffic.count === 0) return null;
    let matching = 0;
    for (const [code, n] of traffic.byCode) if (statusMatches(status, code)) matching += n;
    return matching / traffic.count;
  }

  checkFailed(target: AlertTarget, check: string | null): number | null {
    return this.#deps.checkFailed?.(target, check) ?? null;
  }

  baseline(target: AlertTarget, measure: WindowedMeasure, windowMs: number): number | null {
    return this.#deps.baseline(target, measure, windowMs);
  }

  /** Requests and failed requests of the app in the window: per-second counts only, no buckets. */
  #trafficOf(target: AlertTarget, windowMs: number): Traffic {
    const key = `${target.env}\u0000${target.app}\u0000${windowMs}`;
    let traffic = this.#traffic.get(key);
    if (traffic) return traffic;
    traffic = { count: 0, errors: 0, byCode: new Map() };
    const fromSec = this.#nowSec - windowMs / 1000;
    for (const s of this.#series(HTTP_DURATION, target)) {
      // Most series of an app are idle in a window (a status code seen once an hour): skip them without a scan.
      if (s.kind !== "histogram" || s.lastSec <= fromSec) continue;
      const n = countIn(s.ring.stamps, s.ring.counts, fromSec, this.#nowSec);
      traffic.count += n;
      const code = s.labels.code ?? "";
      if (n > 0) traffic.byCode.set(code, (traffic.byCode.get(code) ?? 0) + n);
      if (isFailedRequest(Number(s.labels.code))) traffic.errors += n;
    }
    this.#traffic.set(key, traffic);
    return traffic;
  }

  /** The app's latency buckets in the window, only when a quantile is asked for. */
  #latencyOf(target: AlertTarget, windowMs: number): Latency {
    return this.#histogramOf(HTTP_DURATION, target, windowMs);
  }

  /** A histogram metric's buckets over the app's series in the window (the edge's latency, a web vital). */
  #histogramOf(name: string, target: AlertTarget, windowMs: number): Latency {
    const key = `${name}\u0000${target.env}\u0000${target.app}\u0000${windowMs}`;
    let latency = this.#latency.get(key);
    if (latency) return latency;
    const series = this.#series(name, target);
    const first = series.find((s) => s.kind === "histogram");
    const bounds = first?.kind === "histogram" ? first.bounds : [];
    latency = { buckets: new Float64Array(bounds.length), bounds };
    const fromSec = this.#nowSec - windowMs / 1000;
    for (const s of series) {
      if (s.kind !== "histogram" || s.lastSec <= fromSec || s.bounds.length !== bounds.length) continue;
      bucketsIn(s.ring, fromSec, this.#nowSec, latency.buckets);
    }
    this.#latency.set(key, latency);
    return latency;
  }

  #sumIncrease(series: Series[], windowMs: number): number | undefined {
    const fromSec = this.#nowSec - windowMs / 1000;
    let total: number | undefined;
    for (const s of series) {
      if (s.lastSec <= fromSec) continue;
      const n =
        s.kind === "histogram"
          ? countIn(s.ring.stamps, s.ring.counts, fromSec, this.#nowSec)
          : countIn(s.ring.stamps, s.ring.values, fromSec, this.#nowSec);
      total = (total ?? 0) + n;
    }
    return total;
  }

  #series(name: string, target: AlertTarget): Series[] {
    let grouped = this.#byName.get(name);
    if (!grouped) {
      grouped = (this.#deps.index ?? new SeriesIndex()).byApp(this.#deps.store, name);
      this.#byName.set(name, grouped);
    }
    return grouped.get(`${target.env}\u0000${target.app}`) ?? [];
  }

  #instancesOf(target: AlertTarget): InstanceRecord[] {
    if (!this.#instances) {
      this.#instances = new Map();
      for (const i of this.#deps.instances()) {
        // Stopped instances are history (a drained old release), not capacity the app is missing.
        if (i.status === "stopped" || i.status === "stopping") continue;
        const key = `${i.env}\u0000${i.app}`;
        const list = this.#instances.get(key);
        if (list) list.push(i);
        else this.#instances.set(key, [i]);
      }
    }
    return this.#instances.get(`${target.env}\u0000${target.app}`) ?? [];
  }
}

/**
 * The series of a metric grouped by env and app. Regrouped only when the store's set of series changed (a new
 * series raises its size, an eviction its generation): in steady state a round reuses the grouping.
 */
export class SeriesIndex {
  readonly #groups = new Map<string, { size: number; generation: number; byApp: Map<string, Series[]> }>();

  byApp(store: Pick<MetricsStore, "select" | "size" | "generation">, name: string): Map<string, Series[]> {
    const cached = this.#groups.get(name);
    if (cached && cached.size === store.size && cached.generation === store.generation) return cached.byApp;
    const byApp = new Map<string, Series[]>();
    for (const s of store.select(name)) {
      const key = `${s.labels.env ?? ""}\u0000${s.labels.app ?? ""}`;
      const list = byApp.get(key);
      if (list) list.push(s);
      else byApp.set(key, [s]);
    }
    this.#groups.set(name, { size: store.size, generation: store.generation, byApp });
    return byApp;
  }
}
