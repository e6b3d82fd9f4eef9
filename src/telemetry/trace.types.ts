/** One stored span, from the edge (its server span per sampled request) or from an app's OTLP exporter. */
export interface SpanRecord {
  traceId: string;
  spanId: string;
  /** null for a trace's first span; the edge's span has the client's span here when the request carried one. */
  parentSpanId: string | null;
  env: string;
  app: string;
  release: number | null;
  instance: string | null;
  /** `service.name` of the sender ("rampart-edge" for the edge). */
  service: string;
  name: string;
  /** OTLP SpanKind: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
  /** The edge's matched route prefix, or an app span's `http.route`. */
  route: string | null;
  httpStatus: number | null;
  error: boolean;
  /** Epoch ms (fractional). */
  startMs: number;
  durationMs: number;
  source: "edge" | "otlp";
  attributes: Record<string, unknown>;
}

/** A span as the API shows it: with the request's path beside the route it matched. */
export type SpanWithPath = SpanRecord & { path: string | null };

/**
 * The request path of an HTTP span, without its query (which may carry tokens): `url.path` (semconv, and the
 * edge's own spans), else the older `http.target`. Null for spans that are not HTTP requests.
 */
export function spanPath(attributes: Record<string, unknown>): string | null {
  const path = attributes["url.path"] ?? attributes["http.target"];
  if (typeof path !== "string" || path === "") return null;
  const query = path.indexOf("?");
  return query === -1 ? path : path.slice(0, query);
}

/** A trace as listed: its entry span (the edge's, or the first span of a trace that did not pass the edge). */
export interface TraceSummary {
  traceId: string;
  env: string;
  app: string;
  name: string;
  route: string | null;
  /** The request's path (the entry span's `url.path`, no query), beside the route it matched. */
  path: string | null;
  httpStatus: number | null;
  error: boolean;
  startMs: number;
  durationMs: number;
  spans: number;
}
