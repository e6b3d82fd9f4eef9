import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { evaluateCondition } from "../alerts/alert-expr.eval.ts";
import { parseCondition } from "../alerts/alert-expr.parser.ts";
import { SeriesIndex, StoreMeasurements } from "../alerts/store-measurements.ts";
import { openDatabase } from "../db/database.ts";
import type { EdgeStats } from "../edge/edge-stats.types.ts";
import { RumStats } from "../edge/rum-stats.ts";
import { platformMigrations } from "../platform/migrations.ts";
import { MetricsStore } from "../telemetry/metrics.store.ts";
import type { ReleaseWindow } from "../traffic/request-stats.store.ts";
import { createRum } from "./rum.module.ts";
import { withRumWindows } from "./rum.store.ts";

const root = mkdtempSync(join(tmpdir(), "rampart-rum-"));
after(() => rmSync(root, { recursive: true, force: true }));

const NOW = 1_800_000_000_000;
const web = { env: "production", app: "web" };

/** An edge collection with the RUM series of `pages` page views of each release. */
function collection(pages: { release: number; lcp: number; cls: number; errors?: number }[]): EdgeStats {
  const stats = new RumStats();
  for (const p of pages) {
    stats.record("production", "web", p.release, "lcp", p.lcp);
    stats.record("production", "web", p.release, "cls", p.cls);
    if (p.errors) stats.record("production", "web", p.release, "js_errors", p.errors);
  }
  return { pid: 1, tableVersion: 1, fromMs: NOW, toMs: NOW, series: [], inflight: {}, rum: stats.drain() };
}

describe("RUM in the control plane", () => {
  it("files the edge's series per release: rampart rum's p75s and ratings, alert measures over the metrics store", async () => {
    const database = await openDatabase(join(root, "a"), platformMigrations);
    const metrics = new MetricsStore();
    const rum = createRum({ db: database.db, clock: { now: () => NOW + 1_000 }, metrics, assertApp: () => {} });
    const pages = [
      ...Array.from({ length: 100 }, (_, i) => ({ release: 1, lcp: 1000 + i * 10, cls: 0.01 })),
      ...Array.from({ length: 100 }, (_, i) => ({ release: 2, lcp: 3000 + i * 20, cls: 0.3, errors: i % 10 === 0 ? 1 : 0 })),
    ];
    for (const sink of rum.sinks ?? []) sink.acceptEdgeStats(collection(pages), NOW - 2_000);
    await rum.sink.flushed();

    const summary = await rum.service.summary("production", "web", 60_000);
    assert.deepEqual(
      summary.releases.map((r) => r.release),
      [2, 1],
    );
    const [r2, r1] = summary.releases;
    assert.ok(r1 && r2);
    // p75 of 1000..1990 is ~1750 (bucket-interpolated between 1500 and 2000), of 3000..4980 ~4500.
    assert.ok(r1.lcp.p75 !== null && r1.lcp.p75 > 1500 && r1.lcp.p75 <= 2000, String(r1.lcp.p75));
    assert.equal(r1.lcp.rating, "good");
    assert.ok(r2.lcp.p75 !== null && r2.lcp.p75 > 3000 && r2.lcp.p75 <= 5000, String(r2.lcp.p75));
    assert.equal(r2.lcp.rating, "poor");
    assert.ok(r2.cls.p75 !== null && r2.cls.p75 > 0.2 && r2.cls.p75 <= 0.3, String(r2.cls.p75));
    assert.equal(r2.jsErrors, 10);
    assert.equal(r1.lcp.count, 100);
    assert.equal(r1.inp.p75, null);

    const m = new StoreMeasurements({ store: metrics, index: new SeriesIndex(), instances: () => [], baseline: () => null }, NOW);
    const holds = (expr: string) => evaluateCondition(parseCondition(expr), web, m);
    assert.equal(holds("lcp_p75(5m) > 2500").holds, true);
    assert.equal(holds("lcp_p75(5m) > 5000").holds, false);
    assert.equal(holds("cls_p75(5m) > 0.1").holds, true);
    assert.equal(holds("js_errors(5m) >= 10").value, 10);
    assert.equal(holds("inp_p75(5m) > 0").holds, false, "no INP reported: no data, no alert");
    assert.equal(evaluateCondition(parseCondition("lcp_p75(5m) > 0"), { env: "production", app: "api" }, m).holds, false);
    await database.close();
  });

  it("gives the canary analysis each release's request window with its pages' vital histograms", async () => {
    const database = await openDatabase(join(root, "b"), platformMigrations);
    const rum = createRum({ db: database.db, clock: { now: () => NOW }, metrics: new MetricsStore(), assertApp: () => {} });
    rum.sink.acceptEdgeStats(
      collection([
        { release: 3, lcp: 1200, cls: 0.02, errors: 1 },
        { release: 4, lcp: 2500, cls: 0.2 },
      ]),
      NOW - 5_000,
    );
    rum.sink.acceptEdgeStats(collection([{ release: 4, lcp: 2600, cls: 0.2 }]), NOW - 60_000);
    await rum.sink.flushed();
    const requests = new Map<number, ReleaseWindow>([
      [3, { requests: 10, errors: 0, buckets: [] }],
      [4, { requests: 5, errors: 0, buckets: [] }],
    ]);
    const merged = await withRumWindows(Promise.resolve(requests), rum.store.windows("production", "web", NOW - 10_000, [3, 4]));
    const total = (b: number[] | undefined) => (b ?? []).reduce((a, n) => a + n, 0);
    assert.equal(total(merged.get(3)?.rum?.lcp), 1);
    assert.equal(total(merged.get(4)?.rum?.lcp), 1, "only the step's period: the older page view is left out");
    assert.equal(total(merged.get(4)?.rum?.cls), 1);
    assert.equal(merged.get(3)?.rum?.js_errors, undefined, "errors are no histogram");
    assert.equal(merged.get(3)?.requests, 10);
    await database.close();
  });
});
