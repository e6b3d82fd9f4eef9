import type { Db } from "../db/database.ts";
import type { RequestSeries } from "./edge-stats.types.ts";

/** The edge's per-second request aggregates, kept for the telemetry queries built on them. */
export class RequestStatsStore {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  async insert(at: number, series: RequestSeries[]): Promise<void> {
    if (series.length === 0) return;
    await this.#db
      .insertInto("request_stats")
      .values(series.map((s) => ({ at, env: s.env, app: s.app, release: s.release, instance: s.instance, status: s.status, count: s.count, sum_ms: s.sumMs, buckets: JSON.stringify(s.buckets) })))
      .execute();
  }

  async totals(env: string, app: string, sinceMs: number): Promise<{ release: number; status: number; count: number }[]> {
    return this.#db
      .selectFrom("request_stats")
      .select(["release", "status", (eb) => eb.fn.sum<number>("count").as("count")])
      .where("env", "=", env)
      .where("app", "=", app)
      .where("at", ">=", sinceMs)
      .groupBy(["release", "status"])
      .execute();
  }

  async deleteBefore(at: number): Promise<void> {
    await this.#db.deleteFrom("request_stats").where("at", "<", at).execute();
  }
}
