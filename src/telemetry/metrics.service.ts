import type { Clock } from "../shared/clock.ts";
import { RampartError } from "../shared/errors.ts";
import { logger } from "../shared/logger.ts";
import { addBuckets, isFailedRequest } from "../shared/measurement.ts";
import { HTTP_DURATION, HTTP_REQUESTS } from "./metrics-edge.sink.ts";
import { histogramQuantile } from "./metrics-quantile.ts";
import { evaluate, type SeriesReader } from "./metrics-query.ts";
import { emptyHistogramWindow } from "./metrics-ring.ts";
import { ringReader, type MetricsRollupStore } from "./metrics-rollup.store.ts";
import type { MetricsStore } from "./metrics.store.ts";
import type { Labels } from "./metrics.types.ts";
import type { MetricsQueryParams, MetricsQueryResult, MetricsSummary, SummaryRow } from "./metrics.view.ts";

export const DEFAULT_RETENTION_MS = 30 * 24 * 3600_000;
const MAX_POINTS = 11_000;
/** A minute is rolled up this long after it ends, so the edge's collection (up to ~2 s late) is in it. */
const ROLLUP_GRACE_SEC = 5;

export interface MetricsServiceDeps {
  store: MetricsStore;
  rollups: MetricsRollupStore;
  clock: Clock;
  retentionMs?: number;
  /** Checks that the environment and app exist (throws the API's not-found error otherwise). */
  assertApp?: (env: string, app: string) => void;
  /** Called every second (runtime sampling). */
  onTick?: (nowMs: number) => void;
}

/**
 * Queries over the store and its upkeep: each second's tick, each minute's rollup, hourly eviction and
 * pruning. A query reads the one-second rings for the time this process has been up within the last hour
 * and the persisted minute rollups before that, split at a minute boundary so no minute is read twice.
 */
export class MetricsService {
  readonly #deps: MetricsServiceDeps;
  readonly #startSec: number;
  #lastRolledMinute: number;
  #timer: NodeJS.Timeout | undefined;
  #busy = false;
  #ticking: Promise<void> = Promise.resolve();
  #lastHousekeeping = 0;

  constructor(deps: MetricsServiceDeps) {
    this.#deps = deps;
    this.#startSec = Math.floor(deps.clock.now() / 1000);
    this.#lastRolledMinute = Math.floor(this.#startSec / 60) * 60 - 60;
  }

  start(): void {
    this.#timer = setInterval(() => void this.tick(), 1000);
    this.#timer.unref();
  }

  /**
   * Stops the upkeep and rolls up what the rings hold that is not rolled up yet, the current minute included
   * (partly), so a restart loses only the seconds between this and the next process's first collection.
   */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    // A tick may be writing a minute right now; writing it again would count it twice.
    await this.#ticking;
    const currentMinute = Math.floor(this.#deps.clock.now() / 60_000) * 60;
    try {
      for (let minute = this.#lastRolledMinute + 60; minute <= currentMinute; minute += 60) {
        await this.#deps.rollups.writeMinute(minute, this.#deps.store.all());
        this.#lastRolledMinute = minute;
      }
    } catch (error) {
      logger.warn({ err: error }, "metrics: could not roll up the last minutes before stopping");
    }
  }

  /** One second of upkeep; public so tests drive it with their own clock. */
  async tick(): Promise<void> {
    if (this.#busy) return;
    this.#busy = true;
    this.#ticking = this.#upkeep();
    await this.#ticking;
  }

  async #upkeep(): Promise<void> {
    try {
      const now = this.#deps.clock.now();
      this.#deps.onTick?.(now);
      const nowSec = Math.floor(now / 1000);
      while (this.#lastRolledMinute + 120 + ROLLUP_GRACE_SEC <= nowSec) {
        const minute = this.#lastRolledMinute + 60;
        await this.#deps.rollups.writeMinute(minute, this.#deps.store.all());
        this.#lastRolledMinute = minute;
      }
      if (now - this.#lastHousekeeping >= 3600_000) {
        this.#lastHousekeeping = now;
        this.#deps.store.evictIdle(nowSec);
        await this.#deps.rollups.deleteBefore(Math.floor((now - (this.#deps.retentionMs ?? DEFAULT_RETENTION_MS)) / 1000));
      }
    } catch (error) {
      logger.warn({ err: error }, "metrics upkeep failed");
    } finally {
      this.#busy = false;
    }
  }

  names(): string[] {
    return this.#deps.store.names();
  }

  async query(params: MetricsQueryParams): Promise<MetricsQueryResult> {
    const now = this.#deps.clock.now();
    const to = params.to ?? now;
    const from = params.from ?? to - 300_000;
    if (from > to)
      throw new RampartError("invalid_request", "from must not be after to", {
        details: [{ field: "query.from", message: "must be <= to" }],
      });
    if (to - from > 400 * 86_400_000)
      throw new RampartError("invalid_request", "from..to spans more than 400 days", {
        details: [{ field: "query.from", message: "at most 400 days before to" }],
      });
    const stepMs = params.step ?? Math.max(1000, to - from);
    const windowMs = params.window ?? (params.step === undefined ? Math.max(1000, to - from) : stepMs);
    // Without a step the answer is one point at `to` over the whole range (or `window`).
    const points = params.step === undefined ? 1 : Math.floor((to - from) / stepMs) + 1;
    if (points > MAX_POINTS) {
      throw new RampartError("invalid_request", `${points} points is too many (at most ${MAX_POINTS}): use a larger step`, {
        details: [{ field: "query.step", message: `at least ${Math.ceil((to - from) / (MAX_POINTS - 1) / 1000)}s for this range` }],
      });
    }
    const toSec = Math.floor(to / 1000);
    const stepSec = Math.max(1, Math.round(stepMs / 1000));
    const windowSec = Math.max(1, Math.round(windowMs / 1000));
    const times: number[] = [];
    for (let t = toSec - (points - 1) * stepSec; t <= toSec; t += stepSec) times.push(t);
    const metric = params.metric === HTTP_REQUESTS ? HTTP_DURATION : params.metric;
    const firstSec = (times[0] ?? toSec) - windowSec;
    const { readers, source } = await this.#readers(metric, params.filter ?? {}, firstSec, toSec, Math.floor(now / 1000));
    const kinds = new Set(readers.map((r) => r.kind));
    const misfit =
      params.fn === "quantile"
        ? [...kinds].find((k) => k !== "histogram")
        : params.fn === "rate" || params.fn === "increase"
          ? kinds.has("gauge")
            ? "gauge"
            : undefined
          : undefined;
    if (misfit !== undefined) {
      const expected = params.fn === "quantile" ? "a histogram" : "a counter or histogram (use sum, avg, max or min for a gauge)";
      throw new RampartError("invalid_request", `${params.metric} is a ${misfit}: fn=${params.fn} needs ${expected}`, {
        details: [{ field: "query.fn", message: `${params.fn} needs ${expected}` }],
      });
    }
    const series = evaluate(readers, { fn: params.fn, by: params.by ?? [], q: params.q, times, windowSec });
    return { metric: params.metric, fn: params.fn, from, to, stepMs: stepSec * 1000, windowMs: windowSec * 1000, source, series };
  }

  /** Requests/s, error % and latency quantiles of an app's traffic at the edge, per `by` value. */
  async summary(
    env: string,
    app: string,
    by: "route" | "release" | "instance" | "code" | undefined,
    sinceMs: number,
  ): Promise<MetricsSummary> {
    this.#deps.assertApp?.(env, app);
    const now = this.#deps.clock.now();
    const toSec = Math.floor(now / 1000);
    const windowSec = Math.max(1, Math.round(sinceMs / 1000));
    const fromSec = toSec - windowSec;
    const { readers } = await this.#readers(HTTP_DURATION, { env, app }, fromSec, toSec, toSec);
    const groups = new Map<string, ReturnType<typeof emptyHistogramWindow> & { errors: number }>();
    const total = { ...emptyHistogramWindow(0), errors: 0 };
    let bounds: readonly number[] = [];
    for (const reader of readers) {
      const window = emptyHistogramWindow(reader.bounds?.length ?? 0);
      if (!reader.histogram(fromSec, toSec, window)) continue;
      bounds = reader.bounds ?? bounds;
      const errors = isFailedRequest(Number(reader.labels.code)) ? window.count : 0;
      const key = by === undefined ? "" : (reader.labels[by] ?? "");
      let group = groups.get(key);
      if (!group) groups.set(key, (group = { ...emptyHistogramWindow(window.buckets.length), errors: 0 }));
      for (const target of [group, total]) {
        target.count += window.count;
        target.sum += window.sum;
        target.errors += errors;
        addBuckets(target.buckets, window.buckets);
      }
    }
    const row = (key: string | null, g: { count: number; errors: number; buckets: number[] }): SummaryRow => {
      const ms = (q: number) => {
        const seconds = histogramQuantile(q, bounds, g.buckets);
        return seconds === null ? null : Math.round(seconds * 1e6) / 1e3;
      };
      return {
        key,
        requests: g.count,
        rps: round(g.count / windowSec),
        errors: g.errors,
        errorPercent: g.count === 0 ? 0 : round((100 * g.errors) / g.count),
        p50Ms: ms(0.5),
        p95Ms: ms(0.95),
        p99Ms: ms(0.99),
      };
    };
    const rows =
      by === undefined
        ? []
        : [...groups.entries()].sort(([a], [b]) => a.localeCompare(b, undefined, { numeric: true })).map(([key, g]) => row(key, g));
    return { env, app, by: by ?? null, from: fromSec * 1000, to: toSec * 1000, rows, total: row(null, total) };
  }

  /** Ring readers, plus rollup readers when the range starts before what the rings hold. */
  async #readers(
    metric: string,
    matchers: Labels,
    fromSec: number,
    toSec: number,
    nowSec: number,
  ): Promise<{ readers: SeriesReader[]; source: "memory" | "rollups" }> {
    const ringReaders = this.#deps.store.select(metric, matchers).map(ringReader);
    // The last second read from rollups: before this process started, or the end of the minute the hour-old ring edge falls in.
    const cutoff = this.#startSec > nowSec - 3600 ? this.#startSec - 1 : Math.floor((nowSec - 3600) / 60) * 60 + 59;
    if (fromSec >= cutoff) return { readers: ringReaders, source: "memory" };
    const rolled = await this.#deps.rollups.readers(metric, matchers, fromSec, Math.min(toSec, cutoff));
    const byKey = new Map<string, { old?: SeriesReader; recent?: SeriesReader }>();
    for (const r of rolled) byKey.set(JSON.stringify(sorted(r.labels)), { old: r });
    for (const r of ringReaders) {
      const key = JSON.stringify(sorted(r.labels));
      byKey.set(key, { ...byKey.get(key), recent: r });
    }
    return { readers: [...byKey.values()].map(({ old, recent }) => splitReader(old, recent, cutoff)), source: "rollups" };
  }
}

function sorted(labels: Labels): [string, string][] {
  return Object.entries(labels).sort(([a], [b]) => a.localeCompare(b));
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}

/** Reads seconds up to `cutoff` from the rollups and later ones from the ring. */
function splitReader(old: SeriesReader | undefined, recent: SeriesReader | undefined, cutoff: number): SeriesReader {
  const base = (old ?? recent) as SeriesReader;
  const add = (a: number | undefined, b: number | undefined) => (a === undefined ? b : b === undefined ? a : a + b);
  return {
    kind: base.kind,
    labels: base.labels,
    bounds: recent?.bounds ?? old?.bounds,
    increase: (f, t) =>
      add(
        f < cutoff ? old?.increase(f, Math.min(t, cutoff)) : undefined,
        t > cutoff ? recent?.increase(Math.max(f, cutoff), t) : undefined,
      ),
    last: (f, t) =>
      (t > cutoff ? recent?.last(Math.max(f, cutoff), t) : undefined) ?? (f < cutoff ? old?.last(f, Math.min(t, cutoff)) : undefined),
    histogram: (f, t, into) => {
      const a = f < cutoff && old ? old.histogram(f, Math.min(t, cutoff), into) : false;
      const b = t > cutoff && recent ? recent.histogram(Math.max(f, cutoff), t, into) : false;
      return a || b;
    },
  };
}
