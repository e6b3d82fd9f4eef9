import { addBuckets } from "../shared/measurement.ts";
import type { EdgeSpan, FailedUserSeries, FlagVariantSeries, RequestSeries, RumSeries } from "./edge-stats.types.ts";
import { mergeFailedUsers } from "./failed-users.ts";
import { mergeFlagVariants } from "./flag-variant-stats.ts";
import { mergeRumSeries } from "./rum-stats.ts";
import type { WorkerStats } from "./edge-ipc.types.ts";

/**
 * Adds workers' answers into one EdgeStats body. Aggregates with the same env × app × route × release ×
 * instance × status add up count, sum and bucket by bucket (fixed bucket bounds make that exact).
 */
export class StatsAccumulator {
  private readonly series = new Map<string, RequestSeries>();
  private readonly flagVariants = new Map<string, FlagVariantSeries>();
  private readonly failedUsers = new Map<string, FailedUserSeries>();
  private readonly rum = new Map<string, RumSeries>();
  private spans: EdgeSpan[] = [];
  private fromMs = 0;
  private toMs = 0;

  add(
    stats: Pick<WorkerStats, "fromMs" | "toMs" | "series"> & Partial<Pick<WorkerStats, "spans" | "flagVariants" | "failedUsers" | "rum">>,
  ): void {
    if (stats.spans !== undefined && stats.spans.length > 0)
      this.spans = this.spans.length === 0 ? stats.spans : this.spans.concat(stats.spans);
    if (stats.flagVariants !== undefined) mergeFlagVariants(this.flagVariants, stats.flagVariants);
    if (stats.failedUsers !== undefined) mergeFailedUsers(this.failedUsers, stats.failedUsers);
    if (stats.rum !== undefined) mergeRumSeries(this.rum, stats.rum);
    if (stats.fromMs > 0 && (this.fromMs === 0 || stats.fromMs < this.fromMs)) this.fromMs = stats.fromMs;
    if (stats.toMs > this.toMs) this.toMs = stats.toMs;
    for (const s of stats.series) {
      const key = `${s.env}\u0000${s.app}\u0000${s.route ?? ""}\u0000${s.release}\u0000${s.instance}\u0000${s.status}`;
      const into = this.series.get(key);
      if (into === undefined) {
        this.series.set(key, { ...s, buckets: s.buckets.slice() });
        continue;
      }
      into.count += s.count;
      into.sumMs += s.sumMs;
      addBuckets(into.buckets, s.buckets);
    }
  }

  /** Everything added so far; starts over. */
  take(): {
    fromMs: number;
    toMs: number;
    series: RequestSeries[];
    spans: EdgeSpan[];
    flagVariants: FlagVariantSeries[];
    failedUsers: FailedUserSeries[];
    rum: RumSeries[];
  } {
    const out = {
      fromMs: this.fromMs,
      toMs: this.toMs,
      series: [...this.series.values()],
      spans: this.spans,
      flagVariants: [...this.flagVariants.values()],
      failedUsers: [...this.failedUsers.values()],
      rum: [...this.rum.values()],
    };
    this.series.clear();
    this.flagVariants.clear();
    this.failedUsers.clear();
    this.rum.clear();
    this.spans = [];
    this.fromMs = 0;
    this.toMs = 0;
    return out;
  }
}

/** In-flight counts per instance summed over workers; `baseline` ids (the table's) appear with 0. */
export function sumInflight(baseline: Iterable<string>, perWorker: Iterable<Record<string, number>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const id of baseline) out[id] = 0;
  for (const inflight of perWorker) for (const id in inflight) out[id] = (out[id] ?? 0) + (inflight[id] as number);
  return out;
}
