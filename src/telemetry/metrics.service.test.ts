import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { openDatabase, type OpenedDatabase } from "../db/database.ts";
import { platformMigrations } from "../platform/migrations.ts";
import type { EdgeStats, RequestSeries } from "../edge/edge-stats.types.ts";
import { emptyBuckets } from "../shared/measurement.ts";
import { EdgeMetricsSink } from "./metrics-edge.sink.ts";
import { MetricsRollupStore } from "./metrics-rollup.store.ts";
import { MetricsService } from "./metrics.service.ts";
import { MetricsStore } from "./metrics.store.ts";
import { OtlpMetricsIngest, type ExportMetricsRequest } from "./otlp-metrics.ts";

const T0 = 1_800_000_000_000; // a whole minute

function series(release: number, status: number, count: number, bucket: number, instance = `web-${release}-1`): RequestSeries {
  const buckets = emptyBuckets();
  buckets[bucket] = count;
  return { env: "production", app: "web", release, instance, route: "/", status, count, sumMs: count * 2, buckets };
}

function stats(list: RequestSeries[]): EdgeStats {
  return { pid: 1, tableVersion: 1, fromMs: 0, toMs: 0, series: list, inflight: {} };
}

describe("MetricsService", () => {
  const dir = mkdtempSync(join(tmpdir(), "rampart-metrics-"));
  let database: OpenedDatabase;
  after(async () => {
    await database?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("summarises an app's edge traffic per release; errors are 5xx; quantiles from the buckets", async () => {
    database = await openDatabase(dir, platformMigrations);
    let now = T0;
    const clock = { now: () => now };
    const store = new MetricsStore();
    const sink = new EdgeMetricsSink(store);
    const service = new MetricsService({ store, rollups: new MetricsRollupStore(database.db), clock });
    for (let s = 0; s < 180; s++) {
      now = T0 + s * 1000;
      // Bucket 4 is (2ms, 3ms]; bucket 15 is (75ms, 100ms].
      sink.acceptEdgeStats(stats([series(1, 200, 9, 4), series(1, 503, 1, 4), series(2, 200, 5, 15)]), now);
      await service.tick();
    }
    // The window (now − 180 s, now] covers seconds T0 … T0+179.
    now = T0 + 179_000;
    const summary = await service.summary("production", "web", "release", 180_000);
    assert.deepEqual(
      summary.rows.map((r) => [r.key, r.requests, r.errors, r.errorPercent, r.rps]),
      [
        ["1", 1800, 180, 10, 10],
        ["2", 900, 0, 0, 5],
      ],
    );
    assert.equal(summary.total.requests, 2700);
    assert.equal(summary.rows[0]?.p50Ms, 2.5);
    assert.ok((summary.rows[1]?.p99Ms ?? 0) > 75 && (summary.rows[1]?.p99Ms ?? 0) <= 100);

    const rate = await service.query({
      metric: "rampart_http_requests_total",
      fn: "rate",
      by: ["code"],
      q: 0.99,
      from: T0 + 120_000,
      to: T0 + 179_000,
      step: 60_000,
      window: 60_000,
    });
    assert.equal(rate.source, "memory");
    assert.deepEqual(
      rate.series.map((s) => [s.labels.code, s.points[0]?.[1]]),
      [
        ["200", 14],
        ["503", 1],
      ],
    );

    // The first two minutes are rolled up (the third is not over yet); a new process reads them from the table.
    const restarted = new MetricsService({ store: new MetricsStore(), rollups: new MetricsRollupStore(database.db), clock });
    const old = await restarted.query({
      metric: "rampart_http_requests_total",
      fn: "increase",
      q: 0.99,
      from: T0,
      to: T0 + 119_000,
      step: 60_000,
      window: 60_000,
    });
    assert.equal(old.source, "rollups");
    assert.deepEqual(
      old.series[0]?.points.map(([, v]) => v),
      [900, 900],
    );
    const p99 = await restarted.query({
      metric: "rampart_http_request_duration_seconds",
      fn: "quantile",
      q: 0.5,
      by: ["release"],
      from: T0 + 119_000,
      to: T0 + 119_000,
      window: 120_000,
    });
    assert.deepEqual(
      p99.series.map((s) => [s.labels.release, s.points[0]?.[1]]),
      [
        ["1", 0.0025],
        ["2", 0.0875],
      ],
    );
  });

  it("rolls up the minute in progress when it stops, so the next process can read it", async () => {
    const T1 = T0 + 3600_000;
    let now = T1;
    const store = new MetricsStore();
    const service = new MetricsService({ store, rollups: new MetricsRollupStore(database.db), clock: { now: () => now } });
    for (let s = 10; s < 30; s++) store.addCounter("jobs_total", { queue: "a" }, T1 / 1000 + s, 2);
    now = T1 + 31_000;
    await service.stop();
    now = T1 + 61_000;
    const next = new MetricsService({ store: new MetricsStore(), rollups: new MetricsRollupStore(database.db), clock: { now: () => now } });
    const result = await next.query({ metric: "jobs_total", fn: "increase", q: 0.99, from: T1, to: T1 + 60_000 });
    assert.equal(result.source, "rollups");
    assert.equal(result.series[0]?.points[0]?.[1], 40);
  });

  it("rejects a query with too many points, naming the field", async () => {
    const service = new MetricsService({
      store: new MetricsStore(),
      rollups: new MetricsRollupStore(database.db),
      clock: { now: () => T0 },
    });
    await assert.rejects(
      service.query({ metric: "x", fn: "rate", q: 0.99, from: T0 - 86_400_000, to: T0, step: 1000 }),
      /too many.*use a larger step/,
    );
    await assert.rejects(service.query({ metric: "x", fn: "rate", q: 0.99, from: 0, to: T0 }), /more than 400 days/);
    const kinds = new MetricsStore();
    kinds.setGauge("temp", {}, T0 / 1000, 20);
    const typed = new MetricsService({ store: kinds, rollups: new MetricsRollupStore(database.db), clock: { now: () => T0 } });
    await assert.rejects(typed.query({ metric: "temp", fn: "rate", q: 0.99 }), /temp is a gauge: fn=rate needs a counter or histogram/);
    await assert.rejects(typed.query({ metric: "temp", fn: "quantile", q: 0.99 }), /fn=quantile needs a histogram/);
    // A window far longer than the ring reads only the ring's hour (and the rollups), not billions of empty seconds.
    const store = new MetricsStore();
    store.addCounter("c_total", {}, T0 / 1000, 5);
    const wide = new MetricsService({ store, rollups: new MetricsRollupStore(database.db), clock: { now: () => T0 } });
    const result = await wide.query({ metric: "c_total", fn: "increase", q: 0.99, window: 399 * 86_400_000 });
    assert.equal(result.series[0]?.points[0]?.[1], 5);
  });
});

describe("OTLP metrics ingestion", () => {
  it("files gauges, cumulative and delta sums and histograms with the sender's labels", () => {
    const store = new MetricsStore();
    const ingest = new OtlpMetricsIngest(store);
    const nowMs = T0;
    const time = String(BigInt(T0) * 1_000_000n);
    const body = (cumulative: number): ExportMetricsRequest => ({
      resourceMetrics: [
        {
          resource: {
            attributes: [
              { key: "service.name", value: { stringValue: "web" } },
              { key: "rampart.env", value: { stringValue: "production" } },
            ],
          },
          scopeMetrics: [
            {
              metrics: [
                { name: "queue.depth", gauge: { dataPoints: [{ timeUnixNano: time, asInt: "7" }] } },
                {
                  name: "jobs",
                  sum: {
                    aggregationTemporality: 2,
                    isMonotonic: true,
                    dataPoints: [
                      { timeUnixNano: time, asDouble: cumulative, attributes: [{ key: "queue", value: { stringValue: "q1" } }] },
                    ],
                  },
                },
                {
                  name: "http.server.duration",
                  histogram: {
                    aggregationTemporality: 1,
                    dataPoints: [{ timeUnixNano: time, count: "3", sum: 0.6, bucketCounts: ["1", "2", "0"], explicitBounds: [0.1, 0.5] }],
                  },
                },
                { name: "bad", histogram: { dataPoints: [{ timeUnixNano: time, bucketCounts: ["1"], explicitBounds: [0.1, 0.5] }] } },
              ],
            },
          ],
        },
      ],
    });
    assert.deepEqual(ingest.ingest(body(10), nowMs), { accepted: 3, rejected: 1 });
    ingest.ingest(body(25), nowMs);
    const [depth] = store.select("queue_depth", { env: "production", app: "web", service: "web" });
    assert.equal(depth?.kind === "gauge" ? depth.total : -1, 7);
    const [jobs] = store.select("jobs_total", { queue: "q1" });
    assert.equal(jobs?.kind === "counter" ? jobs.total : -1, 15, "the first cumulative reading is the baseline");
    const [duration] = store.select("http_server_duration");
    assert.equal(duration?.kind === "histogram" ? duration.totalCount : -1, 6);
  });

  it("tracks cumulative sums per sending process, so two instances of one app never look like resets", () => {
    const store = new MetricsStore();
    const ingest = new OtlpMetricsIngest(store);
    const time = String(BigInt(T0) * 1_000_000n);
    const from = (pid: number, value: number): ExportMetricsRequest => ({
      resourceMetrics: [
        {
          resource: {
            attributes: [
              { key: "service.name", value: { stringValue: "web" } },
              { key: "process.pid", value: { intValue: String(pid) } },
            ],
          },
          scopeMetrics: [
            {
              metrics: [
                {
                  name: "jobs",
                  sum: { aggregationTemporality: 2, isMonotonic: true, dataPoints: [{ timeUnixNano: time, asInt: String(value) }] },
                },
              ],
            },
          ],
        },
      ],
    });
    for (const [pid, value] of [
      [1, 10],
      [2, 100],
      [1, 20],
      [2, 130],
      [1, 25],
    ] as const)
      ingest.ingest(from(pid, value), T0);
    const [jobs] = store.select("jobs_total");
    assert.equal(jobs?.kind === "counter" ? jobs.total : -1, 10 + 30 + 5);
  });
});
