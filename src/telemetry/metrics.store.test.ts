import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { HistogramRing, RING_SECONDS, ScalarRing, emptyHistogramWindow } from "./metrics-ring.ts";
import { MetricsStore } from "./metrics.store.ts";

describe("metrics rings", () => {
  it("a slot last written an hour ago reads as empty, not as stale data", () => {
    const ring = new ScalarRing();
    ring.add(1_000, 5);
    ring.add(1_000, 2);
    assert.equal(ring.get(1_000), 7);
    assert.equal(ring.get(1_000 + RING_SECONDS), undefined);
    ring.add(1_000 + RING_SECONDS, 1);
    assert.equal(ring.get(1_000 + RING_SECONDS), 1);
    assert.equal(ring.get(1_000), undefined);
  });

  it("histogram counts per second, buckets per ten seconds, read back over a window", () => {
    const ring = new HistogramRing(4);
    ring.add(50, 3, 0.25, [0, 2, 1, 0]);
    ring.add(50, 1, 0.125, [0, 1, 0, 0]);
    ring.add(51, 2, 2, [0, 0, 0, 2]);
    ring.add(60, 1, 1, [1, 0, 0, 0]);
    const w = emptyHistogramWindow(4);
    assert.equal(ring.addWindow(49, 52, w), true);
    assert.deepEqual(w, { count: 6, sum: 2.375, buckets: [0, 3, 1, 2] });
    assert.equal(ring.addWindow(52, 59, emptyHistogramWindow(4)), false);
    assert.equal(ring.count(50 + RING_SECONDS), undefined, "an hour later the slot is someone else's");
  });
});

describe("MetricsStore", () => {
  it("caps the number of series: new ones are dropped and counted once each, existing ones keep working", () => {
    const store = new MetricsStore({ maxSeries: 2 });
    store.addCounter("a_total", { x: "1" }, 10, 1);
    store.addCounter("a_total", { x: "2" }, 10, 1);
    store.addCounter("a_total", { x: "3" }, 10, 1);
    store.addCounter("a_total", { x: "3" }, 11, 1);
    store.addCounter("a_total", { x: "4" }, 11, 1);
    store.addCounter("a_total", { x: "1" }, 11, 4);
    assert.equal(store.size, 2);
    assert.equal(store.droppedSeries, 2);
    const [one] = store.select("a_total", { x: "1" });
    assert.equal(one?.kind === "counter" ? one.total : -1, 5);
  });

  it("select matches on label equality; a missing label matches the empty string", () => {
    const store = new MetricsStore();
    store.setGauge("g", { env: "p", app: "web" }, 1, 1);
    store.setGauge("g", { env: "p", app: "api" }, 1, 2);
    store.setGauge("g", { env: "s", app: "web" }, 1, 3);
    assert.equal(store.select("g", { env: "p" }).length, 2);
    assert.equal(store.select("g", { env: "p", app: "web" }).length, 1);
    assert.equal(store.select("g", { route: "" }).length, 3);
    assert.equal(store.select("nope").length, 0);
  });

  it("refuses a sample whose series exists with another kind", () => {
    const store = new MetricsStore();
    store.setGauge("m", {}, 1, 1);
    store.addCounter("m", {}, 1, 1);
    store.addHistogram("m", {}, [1, Infinity], 1, 1, 1, [1, 0]);
    assert.equal(store.conflictingSamples, 2);
    assert.equal(store.size, 1);
  });

  it("keeps one kind per name: a counter series is refused beside gauge series of the same name", () => {
    const store = new MetricsStore();
    store.setGauge("jobs_total", { instance: "a" }, 1, 3);
    store.addCounter("jobs_total", { instance: "b" }, 1, 3);
    store.addHistogram("jobs_total", { instance: "c" }, [1, Infinity], 1, 1, 1, [1, 0]);
    assert.deepEqual(
      store.select("jobs_total").map((s) => s.kind),
      ["gauge"],
    );
    assert.equal(store.conflictingSamples, 2);
  });

  it("evicts series idle for a whole ring and admits new ones again", () => {
    const store = new MetricsStore({ maxSeries: 1 });
    store.addCounter("a_total", {}, 100, 1);
    store.addCounter("b_total", {}, 100, 1);
    assert.equal(store.size, 1);
    assert.equal(store.evictIdle(100 + RING_SECONDS - 1), 0);
    assert.equal(store.evictIdle(100 + RING_SECONDS), 1);
    store.addCounter("b_total", {}, 100 + RING_SECONDS, 1);
    assert.deepEqual(store.names(), ["b_total"]);
  });
});
