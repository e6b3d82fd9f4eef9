import type { Db } from "../db/database.ts";
import { bucketCountsSchema, type RumSeries } from "../edge/edge-stats.types.ts";
import { isRumMetric, type RumMetric } from "../edge/rum-stats.ts";
import { parseJsonAs } from "../shared/checked-json.ts";
import { addBuckets, emptyBuckets } from "../shared/measurement.ts";

// A type alias, not an interface: withTables needs the index signature an alias implies.
type RumTables = {
  rum_stats: { at: number; env: string; app: string; release: number; metric: string; count: number; sum: number; buckets: string };
};

/** One metric of one release over a period: values reported, their sum, and the histogram (empty for js_errors). */
export interface RumAggregate {
  count: number;
  sum: number;
  buckets: number[];
}

/** Per release, per metric. */
export type RumWindows = Map<number, Map<RumMetric, RumAggregate>>;

/** The edge's per-second RUM aggregates: measurements, kept a week (`prune`). */
export class RumStore {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  #tables() {
    return this.#db.withTables<RumTables>();
  }

  async insert(at: number, series: readonly RumSeries[]): Promise<void> {
    if (series.length === 0) return;
    await this.#tables()
      .insertInto("rum_stats")
      .values(
        series.map((s) => ({
          at,
          env: s.env,
          app: s.app,
          release: s.release,
          metric: s.metric,
          count: s.count,
          sum: s.sum,
          buckets: JSON.stringify(s.buckets),
        })),
      )
      .execute();
  }

  /** Every release's metrics since `sinceMs` (only `releases` when given). */
  async windows(env: string, app: string, sinceMs: number, releases?: readonly number[]): Promise<RumWindows> {
    let query = this.#tables()
      .selectFrom("rum_stats")
      .select(["release", "metric", "count", "sum", "buckets"])
      .where("env", "=", env)
      .where("app", "=", app)
      .where("at", ">=", sinceMs);
    if (releases !== undefined) {
      if (releases.length === 0) return new Map();
      query = query.where("release", "in", [...releases]);
    }
    const out: RumWindows = new Map();
    for (const row of await query.execute()) {
      let byMetric = out.get(row.release);
      if (byMetric === undefined) out.set(row.release, (byMetric = new Map()));
      const metric = row.metric;
      if (!isRumMetric(metric)) continue;
      let aggregate = byMetric.get(metric);
      if (aggregate === undefined) {
        aggregate = { count: 0, sum: 0, buckets: metric === "js_errors" ? [] : emptyBuckets() };
        byMetric.set(metric, aggregate);
      }
      aggregate.count += row.count;
      aggregate.sum += row.sum;
      if (metric !== "js_errors") addBuckets(aggregate.buckets, parseJsonAs(bucketCountsSchema, row.buckets, "rum_stats.buckets"));
    }
    return out;
  }

  async prune(before: number): Promise<void> {
    await this.#tables().deleteFrom("rum_stats").where("at", "<", before).execute();
  }
}

/** Each release's request window with its pages' web-vital histograms added (`rum`), for the canary analysis. */
export async function withRumWindows<W extends { rum?: Partial<Record<string, number[]>> }>(
  requests: Promise<Map<number, W>>,
  rum: Promise<RumWindows>,
): Promise<Map<number, W>> {
  const [windows, vitals] = await Promise.all([requests, rum]);
  for (const [release, window] of windows) {
    const metrics = vitals.get(release);
    if (metrics === undefined) continue;
    const byVital: Record<string, number[]> = {};
    for (const [metric, aggregate] of metrics) if (metric !== "js_errors") byVital[metric] = aggregate.buckets;
    window.rum = byVital;
  }
  return windows;
}
