import { notFound } from "../shared/errors.ts";
import type { TraceListQuery, TraceStore } from "./trace.store.ts";
import { spanPath, type SpanWithPath, type TraceSummary } from "./trace.types.ts";

/** Lookups over stored spans: an app's traces (newest or slowest, per route) and one trace by id. */
export class TraceService {
  readonly #store: TraceStore;
  readonly #assertApp: (env: string, app: string) => void;

  constructor(store: TraceStore, assertApp: (env: string, app: string) => void) {
    this.#store = store;
    this.#assertApp = assertApp;
  }

  list(query: TraceListQuery): TraceSummary[] {
    this.#assertApp(query.env, query.app);
    return this.#store.listRoots(query);
  }

  get(traceId: string): SpanWithPath[] {
    const spans = this.#store.trace(traceId);
    if (spans.length === 0)
      throw notFound(`trace ${traceId}`, "traces are kept 7 days; the edge records a sample of requests (every error and slow one)");
    return spans.map((span) => ({ ...span, path: spanPath(span.attributes) }));
  }
}
