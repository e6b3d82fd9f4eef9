import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { openDatabase, type OpenedDatabase } from "../db/database.ts";
import type { FlagVariantSeries } from "../edge/edge-stats.types.ts";
import { platformMigrations } from "../platform/migrations.ts";
import { emptyBuckets } from "../shared/measurement.ts";
import { EdgeMetricsSink, LATENCY_BOUNDS_SECONDS } from "./metrics-edge.sink.ts";
import { FLAG_DURATION, FlagVariantMetrics } from "./metrics-flag.sink.ts";
import { MetricsRollupStore } from "./metrics-rollup.store.ts";
import { MetricsService } from "./metrics.service.ts";
import { MetricsStore } from "./metrics.store.ts";

const T0 = 1_800_000_000_000; // a whole minute

function variant(variation: string, count: number, errors: number, bucket: number): FlagVariantSeries {
  const buckets = emptyBuckets();
  buckets[bucket] = count - errors;
  return { env: "production", app: "web", release: 3, flag: "checkout", variation, count, errors, sumMs: (count - errors) * 2, buckets };
}

describe("flag variations as a metric", () => {
  const dir = mkdtempSync(join(tmpdir(), "rampart-flag-metrics-"));
  let database: OpenedDatabase;
  after(async () => {
    await database?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("requests/s, errors and p99 per variation through the ordinary metrics query", async () => {
    database = await openDatabase(dir, platformMigrations);
    let now = T0;
    const store = new MetricsStore();
    const sink = new EdgeMetricsSink(store);
    const service = new MetricsService({ store, rollups: new MetricsRollupStore(database.db), clock: { now: () => now } });
    for (let s = 0; s < 60; s++) {
      now = T0 + s * 1000;
      // Bucket 4 is (2ms, 3ms]; bucket 15 is (75ms, 100ms]. `on` fails 2 of its 10 requests a second.
      const stats = { pid: 1, tableVersion: 1, fromMs: 0, toMs: 0, series: [], inflight: {} };
      sink.acceptEdgeStats({ ...stats, flagVariants: [variant("off", 10, 0, 4), variant("on", 10, 2, 15)] }, now);
    }
    const range = { from: T0 + 59_000, to: T0 + 59_000, window: 60_000, q: 0.99, filter: { env: "production", flag: "checkout" } };
    const rate = await service.query({ ...range, metric: FLAG_DURATION, fn: "rate", by: ["variation"] });
    assert.deepEqual(
      rate.series.map((s) => [s.labels.variation, s.points[0]?.[1]]),
      [
        ["off", 10],
        ["on", 10],
      ],
    );
    const errors = await service.query({ ...range, metric: FLAG_DURATION, fn: "rate", by: ["variation", "outcome"] });
    assert.deepEqual(
      errors.series.filter((s) => s.labels.outcome === "error").map((s) => [s.labels.variation, s.points[0]?.[1]]),
      [["on", 2]],
    );
    // The quantile reads the successes' buckets only: the error series add none.
    const p99 = await service.query({ ...range, metric: FLAG_DURATION, fn: "quantile", by: ["variation"] });
    const byVariation = new Map(p99.series.map((s) => [s.labels.variation, s.points[0]?.[1] ?? null]));
    assert.ok((byVariation.get("off") ?? 0) > 0.002 && (byVariation.get("off") ?? 1) <= 0.003, `off p99 ${byVariation.get("off")}`);
    assert.ok((byVariation.get("on") ?? 0) > 0.075 && (byVariation.get("on") ?? 1) <= 0.1, `on p99 ${byVariation.get("on")}`);
  });

  it("takes at most its share of the store's series, so many flags cannot crowd out the HTTP series", () => {
    const store = new MetricsStore({ maxSeries: 100 });
    const flags = new FlagVariantMetrics(store, LATENCY_BOUNDS_SECONDS);
    const many = Array.from({ length: 30 }, (_, i) => variant(`v${i}`, 10, 0, 4));
    flags.record(many, 1);
    flags.record(many, 2);
    assert.equal(store.select(FLAG_DURATION).length, 20);
    assert.equal(flags.dropped, 20);
  });
});
