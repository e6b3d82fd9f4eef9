import { HistogramRing, RING_SECONDS, ScalarRing } from "./metrics-ring.ts";
import { seriesKey, type HistogramSeries, type Labels, type ScalarSeries, type Series } from "./metrics.types.ts";

export const DEFAULT_MAX_SERIES = 5_000;

/**
 * The in-memory side of the metrics store: one fixed ring of 3600 one-second slots per series and a cap on
 * the number of series. Beyond the cap a new series is dropped (and counted), never an existing one, so a
 * label explosion in one app cannot push out the edge's own series or grow memory without bound.
 */
export class MetricsStore {
  readonly maxSeries: number;
  #nextId = 1;
  readonly #byKey = new Map<string, Series>();
  readonly #byName = new Map<string, Set<Series>>();
  /** Distinct series refused because of the cap (a refused series is counted once). */
  droppedSeries = 0;
  readonly #dropped = new Set<string>();
  /** Samples refused because their name exists with another kind (an app changed a metric's type, or typed it differently). */
  conflictingSamples = 0;

  constructor(options: { maxSeries?: number } = {}) {
    this.maxSeries = options.maxSeries ?? DEFAULT_MAX_SERIES;
  }

  get size(): number {
    return this.#byKey.size;
  }

  /** Adds an increase to a counter's second `sec` (epoch seconds). Negative increases are ignored. */
  addCounter(name: string, labels: Labels, sec: number, delta: number): void {
    if (!(delta >= 0)) return;
    const series = this.#scalar("counter", name, labels);
    if (!series) return;
    series.ring.add(sec, delta);
    series.total += delta;
    if (sec > series.lastSec) series.lastSec = sec;
  }

  setGauge(name: string, labels: Labels, sec: number, value: number): void {
    if (Number.isNaN(value)) return;
    const series = this.#scalar("gauge", name, labels);
    if (!series) return;
    series.ring.set(sec, value);
    if (sec >= series.lastSec) {
      series.total = value;
      series.lastSec = sec;
    }
  }

  /** Bumped whenever series are evicted, so callers holding series (the edge sink's cache) know to look again. */
  generation = 0;

  /** `bucketCounts` per bound (not cumulative); bounds ascending and ending with +Infinity. */
  addHistogram(
    name: string,
    labels: Labels,
    bounds: readonly number[],
    sec: number,
    count: number,
    sum: number,
    bucketCounts: ArrayLike<number>,
  ): void {
    const series = this.histogramSeries(name, labels, bounds);
    if (series) this.recordHistogram(series, sec, count, sum, bucketCounts);
  }

  /** The histogram series, created if there is room; undefined when refused (cap, or another kind/bounds). */
  histogramSeries(name: string, labels: Labels, bounds: readonly number[]): HistogramSeries | undefined {
    const key = seriesKey(name, labels);
    let series = this.#byKey.get(key);
    if (series && (series.kind !== "histogram" || series.bounds.length !== bounds.length)) {
      this.conflictingSamples++;
      return undefined;
    }
    if (!series) {
      if (this.#otherKind(name, "histogram") || !this.#admit(key)) return undefined;
      series = {
        kind: "histogram",
        id: this.#nextId++,
        name,
        labels: { ...labels },
        key,
        ring: new HistogramRing(bounds.length),
        bounds: [...bounds],
        totalCount: 0,
        totalSum: 0,
        totalBuckets: new Float64Array(bounds.length),
        lastSec: 0,
      };
      this.#insert(series);
    }
    return series;
  }

  recordHistogram(series: HistogramSeries, sec: number, count: number, sum: number, bucketCounts: ArrayLike<number>): void {
    if (!(count >= 0)) return;
    series.ring.add(sec, count, sum, bucketCounts);
    series.totalCount += count;
    series.totalSum += sum;
    for (let i = 0; i < bucketCounts.length && i < series.totalBuckets.length; i++)
      series.totalBuckets[i] = (series.totalBuckets[i] as number) + (bucketCounts[i] as number);
    if (sec > series.lastSec) series.lastSec = sec;
  }

  /** Series named `name` whose labels include every `matchers` pair. */
  select(name: string, matchers: Labels = {}): Series[] {
    const named = this.#byName.get(name);
    if (!named) return [];
    const entries = Object.entries(matchers);
    const out: Series[] = [];
    for (const series of named) if (entries.every(([k, v]) => (series.labels[k] ?? "") === v)) out.push(series);
    return out;
  }

  names(): string[] {
    return [...this.#byName.keys()].sort();
  }

  all(): IterableIterator<Series> {
    return this.#byKey.values();
  }

  /** Forgets series with no sample for a whole ring (their data has rotated out; rollups keep the history). */
  evictIdle(nowSec: number): number {
    let evicted = 0;
    for (const series of this.#byKey.values()) {
      if (nowSec - series.lastSec < RING_SECONDS) continue;
      this.#byKey.delete(series.key);
      this.#byName.get(series.name)?.delete(series);
      if (this.#byName.get(series.name)?.size === 0) this.#byName.delete(series.name);
      evicted++;
    }
    if (evicted > 0) {
      this.#dropped.clear();
      this.generation++;
    }
    return evicted;
  }

  #scalar(kind: "counter" | "gauge", name: string, labels: Labels): ScalarSeries | undefined {
    const key = seriesKey(name, labels);
    const existing = this.#byKey.get(key);
    if (existing) {
      if (existing.kind === kind) return existing;
      this.conflictingSamples++;
      return undefined;
    }
    if (this.#otherKind(name, kind) || !this.#admit(key)) return undefined;
    const series: ScalarSeries = {
      kind,
      id: this.#nextId++,
      name,
      labels: { ...labels },
      key,
      ring: new ScalarRing(),
      total: 0,
      lastSec: 0,
    };
    this.#insert(series);
    return series;
  }

  /**
   * One kind per metric name, as Prometheus has one type per family: a name holding counter and gauge series at
   * once (one instance's exposition typed it, another's did not) would make every query over it half wrong.
   */
  #otherKind(name: string, kind: Series["kind"]): boolean {
    const named = this.#byName.get(name);
    if (named === undefined) return false;
    for (const series of named) {
      if (series.kind === kind) return false;
      this.conflictingSamples++;
      return true;
    }
    return false;
  }

  #admit(key: string): boolean {
    if (this.#byKey.size < this.maxSeries) return true;
    if (!this.#dropped.has(key)) {
      // Remembering refused keys is itself bounded, so counting stays "distinct series" without a leak.
      if (this.#dropped.size < this.maxSeries) this.#dropped.add(key);
      this.droppedSeries++;
    }
    return false;
  }

  #insert(series: Series): void {
    this.#byKey.set(series.key, series);
    let named = this.#byName.get(series.name);
    if (!named) this.#byName.set(series.name, (named = new Set()));
    named.add(series);
  }
}

export type { HistogramSeries, ScalarSeries };
