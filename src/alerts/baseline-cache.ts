import type { Clock } from "../shared/clock.ts";
import { logger } from "../shared/logger.ts";
import { isFailedRequest } from "../shared/measurement.ts";
import { HTTP_DURATION } from "../telemetry/metrics-edge.sink.ts";
import type { MetricsService } from "../telemetry/metrics.service.ts";
import { INSTANCE_RESTARTS } from "../telemetry/runtime-metrics.ts";
import type { AlertTarget } from "./alert-expr.eval.ts";
import { RUM_JS_ERRORS, RUM_MEASURES, RUM_METRIC_NAMES } from "../rum/rum-metrics.ts";
import type { WindowedMeasure } from "./alert-expr.types.ts";

/** How long a baseline is reused: a day's p99 barely moves in a minute, and reading it costs a rollup query. */
export const BASELINE_TTL_MS = 60_000;
/**
 * A baseline ends this long before now, so the regression a rule compares against it is not in it. A day's p99
 * takes ~15 minutes of a 3× slower app to move, but an app with a few minutes of history (a new app, the detection
 * drill) had its baseline become the regression within a refresh and the alert never fired; now the last two
 * minutes (a rule's 1m window and its `for`, with room) are left out. An app younger than that has no baseline.
 */
export const BASELINE_EXCLUDES_RECENT_MS = 120_000;

type Query = Pick<MetricsService, "query">["query"];

/**
 * `baseline(measure, window)`: the app's own measure over a long window, read through the metrics service (rings
 * for the last hour, minute rollups before). Rounds read it synchronously from here; what they asked for is
 * fetched after the round, so a slow rollup query never delays evaluation (a baseline not known yet is "no data").
 */
export class BaselineCache {
  readonly #query: Query;
  readonly #clock: Clock;
  readonly #values = new Map<string, { value: number | null; at: number }>();
  readonly #wanted = new Map<string, { target: AlertTarget; measure: WindowedMeasure; windowMs: number }>();

  constructor(query: Query, clock: Clock) {
    this.#query = query;
    this.#clock = clock;
  }

  get(target: AlertTarget, measure: WindowedMeasure, windowMs: number): number | null {
    const key = `${target.env}\u0000${target.app}\u0000${measure}\u0000${windowMs}`;
    this.#wanted.set(key, { target, measure, windowMs });
    return this.#values.get(key)?.value ?? null;
  }

  /** Fetches what rounds asked for and is missing or older than the TTL. */
  async refresh(): Promise<void> {
    const now = this.#clock.now();
    for (const [key, want] of this.#wanted) {
      const cached = this.#values.get(key);
      if (cached && now - cached.at < BASELINE_TTL_MS) continue;
      try {
        this.#values.set(key, { value: await this.#read(want.target, want.measure, want.windowMs, now), at: now });
      } catch (error) {
        logger.warn({ err: error }, `could not read the baseline ${want.measure} of ${want.target.app} in ${want.target.env}`);
        this.#values.set(key, { value: cached?.value ?? null, at: now });
      }
    }
    this.#wanted.clear();
  }

  async #read(target: AlertTarget, measure: WindowedMeasure, windowMs: number, now: number): Promise<number | null> {
    const filter = { env: target.env, app: target.app };
    const to = now - BASELINE_EXCLUDES_RECENT_MS;
    const from = Math.min(now - windowMs, to);
    const one = async (metric: string, fn: "rate" | "increase" | "quantile", q = 0.99, extra: Record<string, string> = {}) => {
      const result = await this.#query({ metric, fn, q, filter: { ...filter, ...extra }, from, to });
      let total: number | null = null;
      for (const s of result.series) {
        const v = s.points.at(-1)?.[1];
        if (v !== null && v !== undefined) total = (total ?? 0) + v;
      }
      return total;
    };
    switch (measure) {
      case "request_rate":
        return (await one(HTTP_DURATION, "rate")) ?? 0;
      case "restarts":
        return (await one(INSTANCE_RESTARTS, "increase")) ?? 0;
      case "error_ratio": {
        const result = await this.#query({
          metric: HTTP_DURATION,
          fn: "increase",
          q: 0.99,
          by: ["code"],
          filter,
          from,
          to,
        });
        let total = 0;
        let failed = 0;
        for (const s of result.series) {
          const v = s.points.at(-1)?.[1] ?? 0;
          total += v;
          if (isFailedRequest(Number(s.labels.code))) failed += v;
        }
        return total > 0 ? failed / total : null;
      }
      case "js_errors":
        return (await one(RUM_JS_ERRORS, "increase")) ?? 0;
      case "lcp_p75":
      case "inp_p75":
      case "cls_p75":
      case "fcp_p75":
      case "ttfb_p75":
        return one(RUM_METRIC_NAMES[RUM_MEASURES[measure]], "quantile", 0.75);
      default: {
        const q = { latency_p50: 0.5, latency_p90: 0.9, latency_p95: 0.95, latency_p99: 0.99 }[measure];
        return one(HTTP_DURATION, "quantile", q);
      }
    }
  }
}
