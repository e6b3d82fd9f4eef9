import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { HTTP_DURATION, LATENCY_BOUNDS_SECONDS } from "../telemetry/metrics-edge.sink.ts";
import { MetricsStore } from "../telemetry/metrics.store.ts";
import { instanceRecord } from "../telemetry/instance-record.fixture.ts";
import { evaluateCondition } from "./alert-expr.eval.ts";
import { parseCondition } from "./alert-expr.parser.ts";
import { SeriesIndex, StoreMeasurements } from "./store-measurements.ts";

const NOW = 1_800_000_000_000;
const SEC = NOW / 1000;
const web = { env: "production", app: "web" };

function measurements(store: MetricsStore, checks: Record<string, number> | null = null) {
  return new StoreMeasurements(
    {
      store,
      index: new SeriesIndex(),
      instances: () => [
        instanceRecord("a", 1, { status: "healthy" }),
        instanceRecord("b", 2, { status: "unhealthy" }),
        instanceRecord("c", 3, { status: "stopped" }),
      ],
      baseline: () => null,
      checkFailed: checks
        ? (_t, name) => (name === null ? Object.values(checks).reduce((a, b) => a + b, 0) : (checks[name] ?? 0))
        : undefined,
    },
    NOW,
  );
}

const holds = (expr: string, m: StoreMeasurements) => evaluateCondition(parseCondition(expr), web, m);

describe("measurements read from the metrics store", () => {
  it("metric(): a scraped counter as a per-second rate, filtered by labels; a gauge as its latest value; other apps' series left out", () => {
    const store = new MetricsStore();
    for (let s = SEC - 120; s < SEC; s++) {
      store.addCounter("jobs_total", { ...web, instance: "a", queue: "mail" }, s, 2);
      store.addCounter("jobs_total", { ...web, instance: "a", queue: "sms" }, s, 10);
      store.addCounter("jobs_total", { env: "production", app: "api", instance: "x", queue: "mail" }, s, 100);
      store.setGauge("queue_depth", { ...web, instance: "a" }, s, s === SEC - 1 ? 42 : 7);
    }
    const m = measurements(store);
    assert.deepEqual(holds('metric("jobs_total", {queue="mail"}, 1m) == 2', m), { holds: true, value: 2 });
    assert.deepEqual(holds('metric("jobs_total", 1m) == 12', m), { holds: true, value: 12 });
    assert.deepEqual(holds('metric("queue_depth", 5m) > 40', m), { holds: true, value: 42 });
    assert.deepEqual(holds('metric("nope", 5m) > 0', m), { holds: false, value: null });
  });

  it("status_ratio(): a class or an exact code over all the app's requests in the window; no data without requests", () => {
    const store = new MetricsStore();
    const serve = (code: string, perSecond: number, from: number, to: number, app = "web") => {
      for (let s = from; s < to; s++) {
        const buckets = new Array<number>(LATENCY_BOUNDS_SECONDS.length).fill(0);
        buckets[0] = perSecond;
        const labels = { env: "production", app, release: "1", route: "/", instance: "a", code };
        store.addHistogram(HTTP_DURATION, labels, LATENCY_BOUNDS_SECONDS, s, perSecond, 0, buckets);
      }
    };
    serve("200", 6, SEC - 120, SEC);
    serve("404", 3, SEC - 60, SEC);
    serve("401", 1, SEC - 60, SEC);
    serve("500", 10, SEC - 60, SEC, "api"); // another app's
    const m = measurements(store);
    // The last whole minute: 360 OK, 180 404s, 60 401s.
    assert.deepEqual(holds('status_ratio("4xx", 1m) == 0.4', m), { holds: true, value: 0.4 });
    assert.deepEqual(holds('status_ratio("404", 1m) == 0.3', m), { holds: true, value: 0.3 });
    assert.deepEqual(holds('status_ratio("5xx", 1m) == 0', m), { holds: true, value: 0 });
    // Two minutes: 720 OK, the same 240 4xx.
    assert.deepEqual(holds('status_ratio("4xx", 2m) == 0.25', m), { holds: true, value: 0.25 });
    assert.deepEqual(holds('status_ratio("4xx", 1m) > 0', measurements(new MetricsStore())), { holds: false, value: null });
  });

  it("instances: stopped ones do not count, healthy ones are those passing their check", () => {
    const m = measurements(new MetricsStore());
    assert.deepEqual(holds("instances == 2 and healthy_instances == 1", m), { holds: true, value: 2 });
  });

  it("check_failed(): no data without checks; the hook's count with them", () => {
    assert.deepEqual(holds("check_failed() > 0", measurements(new MetricsStore())), { holds: false, value: null });
    const m = measurements(new MetricsStore(), { home: 1, login: 0 });
    assert.deepEqual(holds("check_failed() > 0", m), { holds: true, value: 1 });
    assert.deepEqual(holds('check_failed("login") > 0', m), { holds: false, value: 0 });
  });

  it("the series grouping is reused while the store's series are the same, and redone when one is added", () => {
    const store = new MetricsStore();
    store.addCounter("c", { ...web }, SEC - 2, 1);
    const index = new SeriesIndex();
    const first = index.byApp(store, "c");
    assert.equal(index.byApp(store, "c"), first);
    store.addCounter("c", { env: "staging", app: "web" }, SEC - 2, 1);
    assert.notEqual(index.byApp(store, "c"), first);
  });
});
