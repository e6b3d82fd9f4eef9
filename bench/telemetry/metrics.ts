/**
 * Metrics store benchmark (`node --expose-gc bench/telemetry/metrics.ts`, or as part of `npm run bench:telemetry`): what the control plane spends filing
 * the edge's per-second collections (per series-second, and per proxied request at a given traffic shape), how
 * long queries over a full hour of one-second data take for N series, and the memory one series holds.
 * Prints a markdown table for docs/benchmarks.md ("Telemetry — metrics").
 */
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { openDatabase } from "../../src/db/database.ts";
import { platformMigrations } from "../../src/platform/migrations.ts";
import type { EdgeStats, RequestSeries } from "../../src/edge/edge-stats.types.ts";
import { emptyBuckets } from "../../src/shared/measurement.ts";
import { EdgeMetricsSink } from "../../src/telemetry/metrics-edge.sink.ts";
import { MetricsRollupStore } from "../../src/telemetry/metrics-rollup.store.ts";
import { MetricsService } from "../../src/telemetry/metrics.service.ts";
import { MetricsStore } from "../../src/telemetry/metrics.store.ts";
import { renderExposition } from "../../src/telemetry/prometheus-exposition.ts";

const SERIES_COUNTS = (process.env.BENCH_METRICS_SERIES ?? "100,1000").split(",").map(Number);
const HOUR = 3600;
const T0 = Math.floor(Date.now() / 60_000) * 60_000 - HOUR * 1000;

/** N edge series: 5 releases × routes × 4 instances × 3 status codes; each second 1–20 requests in 3 buckets. */
function edgeSeries(n: number): RequestSeries[] {
  const out: RequestSeries[] = [];
  for (let i = 0; i < n; i++) {
    const buckets = emptyBuckets();
    buckets[3] = 5;
    buckets[8] = 3;
    buckets[15] = 1;
    out.push({
      env: "production",
      app: `app-${i % 7}`,
      release: 1 + (i % 5),
      instance: `i-${i % 4}`,
      route: `/r${Math.floor(i / 60)}`,
      status: [200, 404, 503][i % 3] as number,
      count: 9,
      sumMs: 120,
      buckets,
    });
  }
  return out;
}

function stats(series: RequestSeries[]): EdgeStats {
  return { pid: 1, tableVersion: 1, fromMs: 0, toMs: 0, series, inflight: {} };
}

const hasGc = typeof (globalThis as { gc?: unknown }).gc === "function";

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

/** Exact bytes of a series' preallocated arrays (what the cap multiplies); the heap figure adds object overhead. */
function arrayBytes(store: MetricsStore): number {
  let bytes = 0;
  for (const s of store.all()) {
    if (s.kind === "histogram")
      bytes +=
        s.ring.counts.byteLength +
        s.ring.sums.byteLength +
        s.ring.stamps.byteLength +
        s.ring.buckets.byteLength +
        s.ring.bucketStamps.byteLength +
        s.totalBuckets.byteLength;
    else bytes += s.ring.values.byteLength + s.ring.stamps.byteLength;
  }
  return bytes;
}

function memory(): number {
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

function time<T>(runs: number, fn: () => T): { ms: number; value: T } {
  let value = fn();
  const start = process.hrtime.bigint();
  for (let i = 0; i < runs; i++) value = fn();
  return { ms: Number(process.hrtime.bigint() - start) / 1e6 / runs, value };
}

export async function runMetricsBench(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "rampart-bench-metrics-"));
  const database = await openDatabase(dir, platformMigrations);
  const rows: string[][] = [];
  try {
    for (const n of SERIES_COUNTS) {
      let now = T0;
      const clock = { now: () => now };
      const before = memory();
      const store = new MetricsStore({ maxSeries: Math.max(10_000, n) });
      const sink = new EdgeMetricsSink(store);
      const service = new MetricsService({ store, rollups: new MetricsRollupStore(database.db), clock });
      const collection = stats(edgeSeries(n));
      // A full hour of one-second collections (the ring's capacity); ingestion timed over all of it.
      const start = process.hrtime.bigint();
      for (let s = 0; s < HOUR; s++) sink.acceptEdgeStats(collection, T0 + s * 1000);
      const ingestNs = Number(process.hrtime.bigint() - start) / (HOUR * n);
      const held = memory() - before;
      now = T0 + (HOUR - 1) * 1000;
      // The minute rollup of all series (what the upkeep does once a minute).
      const rollup = time(3, () => new MetricsRollupStore(database.db).writeMinute(Math.floor(now / 60_000) * 60 - 120, store.all()));
      await rollup.value;
      const summary = await timeAsync(5, () => service.summary("production", "app-0", "release", HOUR * 1000));
      const summary5m = await timeAsync(20, () => service.summary("production", "app-0", "release", 300_000));
      const rateByRelease = await timeAsync(5, () =>
        service.query({
          metric: "rampart_http_requests_total",
          fn: "rate",
          by: ["release"],
          q: 0.99,
          from: now - (HOUR - 60) * 1000,
          to: now,
          step: 60_000,
          window: 60_000,
        }),
      );
      const p99 = await timeAsync(5, () =>
        service.query({
          metric: "rampart_http_request_duration_seconds",
          fn: "quantile",
          by: ["route"],
          q: 0.99,
          from: now - (HOUR - 60) * 1000,
          to: now,
          step: 60_000,
          window: 60_000,
        }),
      );
      const exposition = time(20, () => renderExposition(store, sink, T0));
      rows.push([
        String(n),
        `${ingestNs.toFixed(0)} ns`,
        `${(arrayBytes(store) / n / 1024).toFixed(1)} KiB arrays${hasGc ? `, ${(held / n / 1024).toFixed(1)} KiB heap` : ""}`,
        `${summary5m.toFixed(2)} ms`,
        `${summary.toFixed(1)} ms`,
        `${rateByRelease.toFixed(1)} ms`,
        `${p99.toFixed(1)} ms`,
        `${exposition.ms.toFixed(2)} ms`,
      ]);
      process.stderr.write(`${n} series done\n`);
    }
  } finally {
    await database.close();
    rmSync(dir, { recursive: true, force: true });
  }
  process.stdout.write("\n## Telemetry — metrics\n\n");
  const header = [
    "series",
    "ingest per series-second",
    "memory per series (1 h of 1 s data)",
    "summary 5m (`rampart metrics --by release`)",
    "summary 1h",
    "rate by release, 1h step 1m",
    "p99 by route, 1h step 1m",
    "GET /metrics render",
  ];
  const table = [`| ${header.join(" | ")} |`, `|${header.map(() => "---").join("|")}|`, ...rows.map((r) => `| ${r.join(" | ")} |`)].join(
    "\n",
  );
  process.stdout.write(
    `${table}\n\nmachine: ${cpus().length} × ${cpus()[0]?.model ?? "?"}, node ${process.version}, ${new Date().toISOString().slice(0, 10)}\n`,
  );
}

async function timeAsync(runs: number, fn: () => Promise<unknown>): Promise<number> {
  await fn();
  const start = process.hrtime.bigint();
  for (let i = 0; i < runs; i++) await fn();
  return Number(process.hrtime.bigint() - start) / 1e6 / runs;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await runMetricsBench();
