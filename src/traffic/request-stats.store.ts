import type { Db } from "../db/database.ts";
import { parseJsonAs } from "../shared/checked-json.ts";
import { addBuckets, isFailedRequest } from "../shared/measurement.ts";
import { bucketCountsSchema, type RequestSeries } from "../edge/edge-stats.types.ts";

/** A release's requests over a period, as canary analysis compares them. */
export interface ReleaseWindow {
  requests: number;
  errors: number;
  /** Counts per LATENCY_BUCKETS_MS bucket, of the requests that did not fail (a fast 500 is not good latency). */
  buckets: number[];
  /** Web-vital histograms of the release's pages (src/rum, merged in by the platform), by vital; absent without RUM. */
  rum?: Partial<Record<string, number[]>>;
}

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
      .values(
        series.map((s) => ({
          at,
          env: s.env,
          app: s.app,
          release: s.release,
          instance: s.instance,
          status: s.status,
          count: s.count,
          sum_ms: s.sumMs,
          buckets: JSON.stringify(s.buckets),
        })),
      )
      .execute();
  }

  /** Per release: requests, 5xx answers (the instance's or the edge's 502/503/504) and the others' latency buckets. */
  async releaseWindows(env: string, app: string, releases: number[], sinceMs: number): Promise<Map<number, ReleaseWindow>> {
    const rows = await this.#db
      .selectFrom("request_stats")
      .select(["release", "status", "count", "buckets"])
      .where("env", "=", env)
      .where("app", "=", app)
      .where("release", "in", releases)
      .where("at", ">=", sinceMs)
      .execute();
    const windows = new Map<number, ReleaseWindow>(releases.map((r) => [r, { requests: 0, errors: 0, buckets: [] }]));
    for (const row of rows) {
      const window = windows.get(row.release);
      if (!window) continue;
      window.requests += row.count;
      if (isFailedRequest(row.status)) {
        window.errors += row.count;
        continue;
      }
      const buckets = parseJsonAs(bucketCountsSchema, row.buckets, `request_stats.buckets of ${env}/${app} release ${row.release}`);
      addBuckets(window.buckets, buckets);
    }
    return windows;
  }

  async deleteBefore(at: number): Promise<void> {
    await this.#db.deleteFrom("request_stats").where("at", "<", at).execute();
  }
}
