import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { EdgeSpan } from "../edge/edge-stats.types.ts";
import { EdgeSpanSink, spanFromEdge } from "./trace-ingest.ts";
import { formatTraceTree } from "./trace-tree.ts";
import { TraceStore } from "./trace.store.ts";
import type { SpanRecord } from "./trace.types.ts";

const T = "0af7651916cd43dd8448eb211c80319c";

function edgeSpan(over: Partial<EdgeSpan> = {}): EdgeSpan {
  return {
    traceId: T,
    spanId: "b7ad6b7169203331",
    parentSpanId: null,
    env: "production",
    app: "web",
    release: 2,
    instance: "production.web.r2.0",
    route: "/search",
    method: "GET",
    target: "/search?q=x",
    status: 200,
    requestId: "r1",
    startMs: 1000,
    durationMs: 40,
    ...over,
  };
}

function appSpan(over: Partial<SpanRecord>): SpanRecord {
  return {
    traceId: T,
    spanId: "1111111111111111",
    parentSpanId: "b7ad6b7169203331",
    env: "production",
    app: "web",
    release: 2,
    instance: null,
    service: "web",
    name: "GET /search",
    kind: 2,
    route: "/search",
    httpStatus: 200,
    error: false,
    startMs: 1001,
    durationMs: 35,
    source: "otlp",
    attributes: {},
    ...over,
  };
}

function withStore(run: (store: TraceStore, clock: { ms: number }) => void): void {
  const dir = mkdtempSync(join(tmpdir(), "rampart-traces-"));
  const clock = { ms: 10_000 };
  const store = new TraceStore({ path: join(dir, "traces.db"), clock: { now: () => clock.ms }, maxAgeMs: 5_000, maxSpans: 4 });
  try {
    run(store, clock);
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("TraceStore", () => {
  it("joins the edge's span and the app's spans of one trace, and prints them as a tree", () =>
    withStore((store) => {
      new EdgeSpanSink(store).acceptEdgeStats({
        pid: 1,
        tableVersion: 1,
        fromMs: 0,
        toMs: 0,
        series: [],
        inflight: {},
        spans: [edgeSpan()],
      });
      store.insert([
        appSpan({}),
        appSpan({
          spanId: "2222222222222222",
          parentSpanId: "1111111111111111",
          name: "db.query",
          kind: 3,
          route: null,
          httpStatus: null,
          startMs: 1005,
          durationMs: 20,
        }),
      ]);
      store.insert([appSpan({})]); // an exporter's retry is stored once
      const spans = store.trace(T.toUpperCase());
      assert.equal(spans.length, 3);
      assert.equal(spans[0]?.service, "rampart-edge");
      const tree = formatTraceTree(spans).split("\n");
      assert.match(tree[0] ?? "", /^GET \/search 200 {2}40\.0 ms {2}\(\+0\.00 ms, edge\)$/);
      assert.match(tree[1] ?? "", /^└─ GET \/search 200 {2}35\.0 ms {2}\(\+1\.00 ms, web\)$/);
      assert.match(tree[2] ?? "", /^ {3}└─ db\.query {2}20\.0 ms {2}\(\+5\.00 ms, web\)$/);
    }));

  it("lists an app's traces newest or slowest first, by route, with span counts", () =>
    withStore((store) => {
      store.insert([
        spanFromEdge(edgeSpan()),
        spanFromEdge(edgeSpan({ traceId: "1".repeat(32), spanId: "3".repeat(16), startMs: 2000, durationMs: 900, status: 502 })),
        spanFromEdge(edgeSpan({ traceId: "2".repeat(32), spanId: "4".repeat(16), startMs: 3000, durationMs: 5, route: "/api/" })),
        appSpan({}),
      ]);
      assert.deepEqual(
        store.listRoots({ env: "production", app: "web", limit: 10 }).map((t) => t.startMs),
        [3000, 2000, 1000],
      );
      const slow = store.listRoots({ env: "production", app: "web", route: "/search", slowest: true, limit: 10 });
      assert.deepEqual(
        slow.map((t) => [t.durationMs, t.spans, t.error]),
        [
          [900, 1, true],
          [40, 2, false],
        ],
      );
      assert.deepEqual(
        store.listRoots({ env: "production", app: "web", route: "/api", limit: 10 }).length,
        1,
        "with or without the trailing slash",
      );
      assert.deepEqual(
        store.listRoots({ env: "production", app: "web", errorsOnly: true, sinceMs: 1500, limit: 10 }).map((t) => t.httpStatus),
        [502],
      );
    }));

  it("deletes spans past the age limit and the oldest beyond the count limit", () =>
    withStore((store, clock) => {
      store.insert(
        [1000, 6000, 7000, 8000, 9000, 9500].map((startMs, i) => spanFromEdge(edgeSpan({ traceId: String(i).repeat(32), startMs }))),
      );
      clock.ms = 12_000;
      assert.deepEqual(store.enforceRetention(), { removed: 2 });
      assert.deepEqual(
        store.listRoots({ env: "production", app: "web", limit: 10 }).map((t) => t.startMs),
        [9500, 9000, 8000, 7000],
      );
    }));
});
