import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseMatchers } from "./metrics-matchers.ts";
import { histogramQuantile } from "./metrics-quantile.ts";
import { evaluate } from "./metrics-query.ts";
import { ringReader } from "./metrics-rollup.store.ts";
import { MetricsStore } from "./metrics.store.ts";

const BOUNDS = [0.1, 0.2, 0.5, Infinity];

describe("histogramQuantile (Prometheus's histogram_quantile)", () => {
  it("interpolates linearly inside the bucket that holds the rank", () => {
    // 10 in (0,0.1], 10 in (0.1,0.2]: the median is the top of the first bucket, p75 half-way into the second.
    assert.equal(histogramQuantile(0.5, BOUNDS, [10, 10, 0, 0]), 0.1);
    assert.ok(Math.abs((histogramQuantile(0.75, BOUNDS, [10, 10, 0, 0]) ?? 0) - 0.15) < 1e-12);
  });
  it("a rank in the +Inf bucket answers the highest finite bound; no observations answer null", () => {
    assert.equal(histogramQuantile(0.99, BOUNDS, [1, 0, 0, 99]), 0.5);
    assert.equal(histogramQuantile(0.5, BOUNDS, [0, 0, 0, 0]), null);
  });
});

describe("evaluate", () => {
  const store = new MetricsStore();
  // Two releases: release 1 serves 2 req/s, release 2 serves 1 req/s, seconds 1000..1059.
  for (let sec = 1000; sec < 1060; sec++) {
    store.addHistogram("h", { release: "1", code: "200" }, BOUNDS, sec, 2, 0.2, [2, 0, 0, 0]);
    store.addHistogram("h", { release: "2", code: "200" }, BOUNDS, sec, 1, 0.3, [0, 0, 1, 0]);
    store.setGauge("g", { release: "1" }, sec, sec);
    store.setGauge("g", { release: "2" }, sec, 5);
  }
  const readers = (name: string) => store.select(name).map(ringReader);

  it("rate grouped by a label, over windows stepping through the range", () => {
    const result = evaluate(readers("h"), { fn: "rate", by: ["release"], q: 0, times: [1029, 1059], windowSec: 30 });
    assert.deepEqual(
      result.map((r) => [r.labels.release, r.points.map(([, v]) => v)]),
      [
        ["1", [2, 2]],
        ["2", [1, 1]],
      ],
    );
    const total = evaluate(readers("h"), { fn: "increase", by: [], q: 0, times: [1059], windowSec: 60 });
    assert.equal(total[0]?.points[0]?.[1], 180);
  });

  it("quantile sums buckets across the group before interpolating", () => {
    const [all] = evaluate(readers("h"), { fn: "quantile", by: [], q: 0.5, times: [1059], windowSec: 60 });
    // 120 fast (≤0.1) + 60 slow (0.2..0.5): rank 90 lies in the first bucket.
    assert.ok(Math.abs((all?.points[0]?.[1] ?? 0) - 0.075) < 1e-12);
  });

  it("gauges aggregate their latest value per series; an empty window is null", () => {
    const [max] = evaluate(readers("g"), { fn: "max", by: [], q: 0, times: [1059, 2000], windowSec: 10 });
    assert.deepEqual(
      max?.points.map(([, v]) => v),
      [1059, null],
    );
    const [avg] = evaluate(readers("g"), { fn: "avg", by: [], q: 0, times: [1059], windowSec: 10 });
    assert.equal(avg?.points[0]?.[1], (1059 + 5) / 2);
  });
});

describe("parseMatchers", () => {
  it("reads PromQL-style equality matchers with escapes, braces optional", () => {
    assert.deepEqual(parseMatchers('env="production", app="web"'), { ok: true, labels: { env: "production", app: "web" } });
    assert.deepEqual(parseMatchers('{route="/a\\"b",x=""}'), { ok: true, labels: { route: '/a"b', x: "" } });
    assert.deepEqual(parseMatchers(""), { ok: true, labels: {} });
  });
  it("says what is wrong and where", () => {
    const bad = parseMatchers('env!="x"');
    assert.equal(bad.ok, false);
    assert.match(bad.ok ? "" : bad.message, /only = matchers/);
    const open = parseMatchers('env="x');
    assert.match(open.ok ? "" : open.message, /unterminated/);
  });
});
