import type { EdgeSpan, EdgeStats } from "../edge/edge-stats.types.ts";
import type { EdgeStatsSink } from "../traffic/edge-controller.ts";
import { logger } from "../shared/logger.ts";
import { isFailedRequest } from "../shared/measurement.ts";
import type { TraceStore } from "./trace.store.ts";
import type { SpanRecord } from "./trace.types.ts";

/** The edge's server span as a stored span: named like an HTTP server span, `http.*` attributes as semconv has them. */
export function spanFromEdge(span: EdgeSpan): SpanRecord {
  return {
    traceId: span.traceId.toLowerCase(),
    spanId: span.spanId.toLowerCase(),
    parentSpanId: span.parentSpanId?.toLowerCase() ?? null,
    env: span.env,
    app: span.app,
    release: span.release > 0 ? span.release : null,
    instance: span.instance === "" ? null : span.instance,
    service: "rampart-edge",
    name: `${span.method} ${span.route || span.target.split("?")[0]}`,
    kind: 2,
    route: span.route === "" ? null : span.route,
    httpStatus: span.status,
    error: isFailedRequest(span.status),
    startMs: span.startMs,
    durationMs: span.durationMs,
    source: "edge",
    attributes: {
      "http.request.method": span.method,
      // As semconv splits them: the query may carry tokens, and spanPath shows the path alone.
      "url.path": pathOf(span.target),
      ...(span.target.includes("?") ? { "url.query": span.target.slice(span.target.indexOf("?") + 1) } : {}),
      "http.response.status_code": span.status,
      "rampart.request_id": span.requestId,
    },
  };
}

function pathOf(target: string): string {
  const query = target.indexOf("?");
  return query === -1 ? target : target.slice(0, query);
}

/** Files the edge's sampled spans, reported with its per-second stats, in the trace store. */
export class EdgeSpanSink implements EdgeStatsSink {
  readonly #store: TraceStore;

  constructor(store: TraceStore) {
    this.#store = store;
  }

  acceptEdgeStats(stats: EdgeStats): void {
    if (!stats.spans || stats.spans.length === 0) return;
    try {
      this.#store.insert(stats.spans.map(spanFromEdge));
    } catch (error) {
      // Losing a second of sampled spans (disk full) must not stop the edge's stats from being collected.
      logger.warn({ err: error }, "could not store the edge's spans");
    }
  }
}
