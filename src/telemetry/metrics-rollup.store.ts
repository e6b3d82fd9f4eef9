import type { Kysely } from "kysely";
import { z } from "zod";
import type { Db } from "../db/database.ts";
import { parseJsonAs } from "../shared/checked-json.ts";
import { addBuckets } from "../shared/measurement.ts";
import { emptyHistogramWindow, RING_SECONDS, type HistogramWindow } from "./metrics-ring.ts";
import type { SeriesReader } from "./metrics-query.ts";
import { type Labels, labelsSchema, type Series, type SeriesKind } from "./metrics.types.ts";

// The JSON columns of a rollup row; +Inf bounds are stored as null.
const boundsSchema = z.array(z.number().nullable());
const countsSchema = z.array(z.number());

/** The metric_rollups table (metrics.migration.ts); declared here because only this store reads it. */
type RollupTables = {
  metric_rollups: {
    minute: number;
    name: string;
    series: string;
    labels: string;
    kind: string;
    value: number;
    count: number;
    sum: number;
    bounds: string | null;
    buckets: string | null;
  };
};

type RollupRow = RollupTables["metric_rollups"];

/**
 * One-minute rollups of every series, persisted so history outlives the in-memory hour and a control-plane
 * restart. `minute` is the epoch second the minute starts at; counters and histograms store the minute's
 * increase, gauges the minute's last value.
 */
export class MetricsRollupStore {
  readonly #db: Kysely<RollupTables>;

  constructor(db: Db) {
    this.#db = db.withTables<RollupTables>() as unknown as Kysely<RollupTables>;
  }

  /** Folds seconds [minute, minute+60) of each series into one row per series that had samples. */
  async writeMinute(minute: number, series: Iterable<Series>): Promise<number> {
    const rows: RollupRow[] = [];
    for (const s of series) {
      if (s.lastSec < minute) continue;
      const base = { minute, name: s.name, series: s.key, labels: JSON.stringify(s.labels), kind: s.kind };
      if (s.kind === "histogram") {
        const window = emptyHistogramWindow(s.bounds.length);
        if (s.ring.addWindow(minute - 1, minute + 59, window))
          rows.push({
            ...base,
            value: window.count,
            count: window.count,
            sum: window.sum,
            bounds: JSON.stringify(s.bounds.map(finite)),
            buckets: JSON.stringify(window.buckets),
          });
        continue;
      }
      let value: number | undefined;
      let samples = 0;
      for (let sec = minute; sec < minute + 60; sec++) {
        const v = s.ring.get(sec);
        if (v === undefined) continue;
        samples++;
        value = s.kind === "counter" ? (value ?? 0) + v : v;
      }
      if (value !== undefined) rows.push({ ...base, value, count: samples, sum: 0, bounds: null, buckets: null });
    }
    // SQLite caps bound parameters per statement; 10 columns × 500 rows stays well under it.
    for (let i = 0; i < rows.length; i += 500)
      await this.#db
        .insertInto("metric_rollups")
        .values(rows.slice(i, i + 500))
        .execute();
    return rows.length;
  }

  /** Readers over the rollups of `name` whose minutes end in (fromSec, toSec], filtered by label values. */
  async readers(name: string, matchers: Labels, fromSec: number, toSec: number): Promise<SeriesReader[]> {
    const rows = await this.#db
      .selectFrom("metric_rollups")
      .selectAll()
      .where("name", "=", name)
      .where("minute", ">", fromSec - 60)
      .where("minute", "<=", toSec)
      .orderBy("minute")
      .execute();
    const bySeries = new Map<string, RollupRow[]>();
    for (const row of rows) {
      let list = bySeries.get(row.series);
      if (!list) bySeries.set(row.series, (list = []));
      list.push(row);
    }
    const readers: SeriesReader[] = [];
    for (const list of bySeries.values()) {
      const first = list[0] as RollupRow;
      const labels = parseJsonAs(labelsSchema, first.labels, `metric_rollups.labels of series ${first.series}`);
      if (!Object.entries(matchers).every(([k, v]) => (labels[k] ?? "") === v)) continue;
      readers.push(
        rollupReader(
          first.kind as SeriesKind,
          labels,
          first.bounds
            ? parseJsonAs(boundsSchema, first.bounds, `metric_rollups.bounds of series ${first.series}`).map((b) => b ?? Infinity)
            : undefined,
          list,
        ),
      );
    }
    return readers;
  }

  async deleteBefore(minute: number): Promise<void> {
    await this.#db.deleteFrom("metric_rollups").where("minute", "<", minute).execute();
  }
}

/** JSON has no Infinity: the +Inf bound is stored as null. */
function finite(bound: number): number | null {
  return Number.isFinite(bound) ? bound : null;
}

/** A minute row counts as one sample at its last second (minute + 59), so windows line up with the rings'. */
function rollupReader(kind: SeriesKind, labels: Labels, bounds: readonly number[] | undefined, rows: RollupRow[]): SeriesReader {
  const inWindow = (row: RollupRow, fromSec: number, toSec: number) => row.minute + 59 > fromSec && row.minute + 59 <= toSec;
  return {
    kind,
    labels,
    bounds,
    increase(fromSec, toSec) {
      let total: number | undefined;
      for (const row of rows) if (inWindow(row, fromSec, toSec)) total = (total ?? 0) + row.value;
      return total;
    },
    last(fromSec, toSec) {
      let value: number | undefined;
      for (const row of rows) if (inWindow(row, fromSec, toSec)) value = row.value;
      return value;
    },
    histogram(fromSec, toSec, into) {
      let any = false;
      for (const row of rows) {
        if (!inWindow(row, fromSec, toSec) || row.buckets === null) continue;
        any = true;
        into.count += row.count;
        into.sum += row.sum;
        addBuckets(into.buckets, parseJsonAs(countsSchema, row.buckets, `metric_rollups.buckets of series ${row.series}`));
      }
      return any;
    },
  };
}

export function ringReader(series: Series): SeriesReader {
  return {
    kind: series.kind,
    labels: series.labels,
    bounds: series.kind === "histogram" ? series.bounds : undefined,
    increase(fromSec, toSec) {
      let total: number | undefined;
      // A ring holds one hour: a longer window reads only that hour (the rollups answer for the rest).
      for (let sec = Math.max(fromSec, toSec - RING_SECONDS) + 1; sec <= toSec; sec++) {
        const v = series.kind === "histogram" ? series.ring.count(sec) : series.ring.get(sec);
        if (v !== undefined) total = (total ?? 0) + v;
      }
      return total;
    },
    last(fromSec, toSec) {
      if (series.kind === "histogram") return undefined;
      for (let sec = toSec; sec > Math.max(fromSec, toSec - RING_SECONDS); sec--) {
        const v = series.ring.get(sec);
        if (v !== undefined) return v;
      }
      return undefined;
    },
    histogram(fromSec, toSec, into: HistogramWindow) {
      return series.kind === "histogram" && series.ring.addWindow(fromSec, toSec, into);
    },
  };
}
