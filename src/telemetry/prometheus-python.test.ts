import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { request } from "undici";
import { openDatabase, type OpenedDatabase } from "../db/database.ts";
import type { InstanceRecord } from "../runtime/instance.types.ts";
import { instanceRecord } from "./instance-record.fixture.ts";
import { MetricsRollupStore } from "./metrics-rollup.store.ts";
import { MetricsService } from "./metrics.service.ts";
import { MetricsStore } from "./metrics.store.ts";
import { startPythonApp, type PythonApp } from "./prometheus-python-app.fixture.ts";
import { SCRAPE_ACCEPT, SCRAPE_PROBLEMS, SCRAPE_UP, Scraper } from "./scraper.ts";
import { platformMigrations } from "../platform/migrations.ts";

const T0 = 1_800_000_000_000;
const OPENMETRICS = SCRAPE_ACCEPT; // what the scraper sends by default: the Python client then answers in OpenMetrics
const TEXT = "text/plain;version=0.0.4";

function instance(id: string, port: number): InstanceRecord {
  return instanceRecord(id, port, { app: "jobs", release: 1 });
}

async function get(port: number, path: string, accept = "*/*"): Promise<{ type: string; body: string }> {
  const response = await request(`http://127.0.0.1:${port}${path}`, { headers: { accept } });
  return { type: String(response.headers["content-type"]), body: await response.body.text() };
}

describe("scraping Python's prometheus_client in OpenMetrics 1.0.0 and text 0.0.4", () => {
  const dir = mkdtempSync(join(tmpdir(), "rampart-python-scrape-"));
  const apps: PythonApp[] = [];
  let database: OpenedDatabase | undefined;
  before(async () => {
    apps.push(await startPythonApp(), await startPythonApp());
  });
  after(async () => {
    for (const app of apps) await app.stop();
    await database?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("the app answers each Accept header in its format (exemplars only in OpenMetrics)", async () => {
    const [om, text] = apps as [PythonApp, PythonApp];
    const openMetrics = await get(om.port, "/metrics", OPENMETRICS);
    // Debian's client (0.16) labels its OpenMetrics 1.0 text "version=0.0.1"; newer ones say 1.0.0.
    assert.match(openMetrics.type, /^application\/openmetrics-text;/);
    assert.match(openMetrics.body, /^# TYPE jobs counter$/m);
    assert.match(openMetrics.body, /^# EOF$/m);
    await get(om.port, "/work");
    assert.match((await get(om.port, "/metrics", OPENMETRICS)).body, /^job_seconds_bucket\{le="0\.1"\} 1\.0 # \{trace_id="4bf92f/m);
    const plain = await get(text.port, "/metrics", TEXT);
    assert.match(plain.type, /^text\/plain; version=0\.0\.4/);
    assert.match(plain.body, /^# TYPE jobs_total counter$/m);
    assert.match(plain.body, /^# TYPE jobs_created gauge$/m);
  });

  it("stores the same typed series from both formats, no _created, no problem lines, and rate works on the counter", async () => {
    const [om, text] = apps as [PythonApp, PythonApp];
    const store = new MetricsStore();
    let now = T0;
    const clock = { now: () => now };
    const target = async () => ({ path: "/metrics", intervalMs: 1000 });
    const viaOpenMetrics = new Scraper({ store, clock, instances: () => [instance("om", om.port)], targetOf: target });
    const viaText = new Scraper({ store, clock, instances: () => [instance("text", text.port)], targetOf: target, accept: TEXT });
    await Promise.all([viaOpenMetrics.tick(), viaText.tick()]);
    // The first test did one job on `om`: both apps do three from here, so each scrape's increase is the same.
    for (let i = 0; i < 3; i++) await Promise.all([get(om.port, "/work"), get(text.port, "/work")]);
    now += 1000;
    await Promise.all([viaOpenMetrics.tick(), viaText.tick()]);

    for (const id of ["om", "text"]) {
      const gauge = (name: string) => {
        const series = store.select(name, { instance: id })[0];
        return series?.kind === "gauge" ? series.total : undefined;
      };
      assert.equal(gauge(SCRAPE_UP), 1, `${id}: scraped`);
      assert.equal(gauge(SCRAPE_PROBLEMS), 0, `${id}: every line parsed (exemplars included)`);
      const counter = (name: string, labels: Record<string, string> = {}) => {
        const series = store.select(name, { instance: id, ...labels });
        assert.equal(series.length, 1, `${id}: one ${name} series`);
        assert.equal(series[0]?.kind, "counter", `${id}: ${name} is a counter`);
        return series[0]?.kind === "counter" ? series[0].total : undefined;
      };
      assert.equal(counter("jobs_total", { queue: "default", app: "jobs", env: "production" }), 3);
      assert.equal(counter("payload_bytes_count"), 3);
      assert.equal(counter("payload_bytes_sum"), 300);
      assert.equal(gauge("queue_depth"), 7);
      const [histogram] = store.select("job_seconds", { instance: id });
      assert.ok(histogram?.kind === "histogram", `${id}: job_seconds is a histogram`);
      assert.deepEqual(histogram.bounds, [0.1, 0.5, 1, Infinity]);
      assert.equal(histogram.totalCount, 3);
      assert.ok(Math.abs(histogram.totalSum - 0.15) < 1e-9);
      assert.deepEqual([...histogram.totalBuckets], [3, 0, 0, 0]);
      assert.equal(store.select("python_gc_collections_total", { instance: id })[0]?.kind, "counter", "the client's own counters too");
    }
    const names = store.names();
    assert.deepEqual(
      names.filter((n) => n.endsWith("_created")),
      [],
      "creation timestamps are not stored",
    );
    for (const name of names) {
      const kinds = new Set(store.select(name).map((s) => s.kind));
      const instances = new Set(store.select(name).map((s) => s.labels.instance));
      assert.equal(kinds.size, 1, `${name} holds one kind, not ${[...kinds].join(" and ")}`);
      assert.ok(instances.has("om") && instances.has("text"), `${name} comes from both formats`);
    }
    assert.equal(store.conflictingSamples, 0, "the two formats agree on every type");

    database = await openDatabase(dir, platformMigrations);
    const service = new MetricsService({ store, rollups: new MetricsRollupStore(database.db), clock });
    const rate = await service.query({ metric: "jobs_total", fn: "rate", by: ["instance"], q: 0.99, from: now - 10_000, to: now });
    assert.deepEqual(
      rate.series.map((s) => [s.labels.instance, s.points[0]?.[1]]),
      [
        ["om", 0.3],
        ["text", 0.3],
      ],
      "three jobs in a 10 s window",
    );
    const increase = await service.query({ metric: "jobs_total", fn: "increase", q: 0.99, from: now - 10_000, to: now });
    assert.equal(increase.series[0]?.points[0]?.[1], 6);
  });
});
