import type { InstanceRecord } from "../runtime/instance.types.ts";
import { isFailedRequest } from "../shared/measurement.ts";
import { HTTP_DURATION } from "../telemetry/metrics-edge.sink.ts";
import { histogramQuantile } from "../telemetry/metrics-quantile.ts";
import { emptyHistogramWindow, type HistogramWindow } from "../telemetry/metrics-ring.ts";
import type { MetricsStore } from "../telemetry/metrics.store.ts";
import type { Series } from "../telemetry/metrics.types.ts";
import { INSTANCE_RESTARTS } from "../telemetry/runtime-metrics.ts";
import type { AlertTarget, Measurements } from "./alert-expr.eval.ts";
import type { InstantMeasure, WindowedMeasure } from "./alert-expr.types.ts";

export interface MeasurementDeps {
  store: Pick<MetricsStore, "select">;
  instances: () => readonly InstanceRecord[];
  baseline: (target: AlertTarget, measure: WindowedMeasure, windowMs: number) => number | null;
  checkFailed?: (target: AlertTarget, check: string | null) => number | null;
}

const QUANTILES: Partial<Record<WindowedMeasure, number>> = { latency_p50: 0.5, latency_p90: 0.9, latency_p95: 0.95, latency_p99: 0.99 };

interface Traffic {
  window: HistogramWindow;
  errors: number;
  bounds: readonly number[];
  any: boolean;
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
  #instances: Map<string, InstanceRecord[]> | null = null;

  constructor(deps: MeasurementDeps, nowMs: number) {
    this.#deps = deps;
    // The second in progress is still being collected by the edge: windows end at the last whole second.
    this.#nowSec = Math.floor(nowMs / 1000) - 1;
  }

  windowed(target: AlertTarget, measure: WindowedMeasure, windowMs: number): number | null {
    if (measure === "restarts") return this.#sumIncrease(this.#series(INSTANCE_RESTARTS, target), windowMs) ?? 0;
    const traffic = this.#trafficOf(target, windowMs);
    const count = traffic.window.count;
    if (measure === "request_rate") return count / (windowMs / 1000);
    if (measure === "error_ratio") return count > 0 ? traffic.errors / count : null;
    const q = QUANTILES[measure] as number;
    return count > 0 ? histogramQuantile(q, traffic.bounds, traffic.window.buckets) : null;
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

  checkFailed(target: AlertTarget, check: string | null): number | null {
    return this.#deps.checkFailed?.(target, check) ?? null;
  }

  baseline(target: AlertTarget, measure: WindowedMeasure, windowMs: number): number | null {
    return this.#deps.baseline(target, measure, windowMs);
  }

  #trafficOf(target: AlertTarget, windowMs: number): Traffic {
    const key = `${target.env}\u0000${target.app}\u0000${windowMs}`;
    let traffic = this.#traffic.get(key);
    if (traffic) return traffic;
    const series = this.#series(HTTP_DURATION, target);
    const first = series.find((s) => s.kind === "histogram");
    const bounds = first?.kind === "histogram" ? first.bounds : [];
    traffic = { window: emptyHistogramWindow(bounds.length), errors: 0, bounds, any: false };
    const fromSec = this.#nowSec - windowMs / 1000;
    for (const s of series) {
      if (s.kind !== "histogram" || s.bounds.length !== bounds.length) continue;
      const before = traffic.window.count;
      if (!s.ring.addWindow(fromSec, this.#nowSec, traffic.window)) continue;
      traffic.any = true;
      if (isFailedRequest(Number(s.labels.code))) traffic.errors += traffic.window.count - before;
    }
    this.#traffic.set(key, traffic);
    return traffic;
  }

  #sumIncrease(series: Series[], windowMs: number): number | undefined {
    const fromSec = this.#nowSec - windowMs / 1000;
    let total: number | undefined;
    for (const s of series) {
      for (let sec = fromSec + 1; sec <= this.#nowSec; sec++) {
        const v = s.kind === "histogram" ? s.ring.count(sec) : s.ring.get(sec);
        if (v !== undefined) total = (total ?? 0) + v;
      }
    }
    return total;
  }

  #series(name: string, target: AlertTarget): Series[] {
    let grouped = this.#byName.get(name);
    if (!grouped) {
      grouped = new Map();
      for (const s of this.#deps.store.select(name)) {
        const key = `${s.labels.env ?? ""}\u0000${s.labels.app ?? ""}`;
        const list = grouped.get(key);
        if (list) list.push(s);
        else grouped.set(key, [s]);
      }
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
