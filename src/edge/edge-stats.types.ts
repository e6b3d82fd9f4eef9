/**
 * What the edge reports on GET /stats of its control socket: the request measurements folded since the
 * previous call (the call resets them), and the requests in flight right now per instance, which the
 * control plane reads to know when a removed instance has finished draining.
 */
export interface EdgeStats {
  pid: number;
  tableVersion: number;
  /** Epoch ms of the first and last request folded into `series` (0 when empty). */
  fromMs: number;
  toMs: number;
  series: RequestSeries[];
  inflight: Record<string, number>;
  /** Server spans of sampled requests since the previous call (every error and slow request is kept). */
  spans?: EdgeSpan[];
  /** Requests per flag variation, from the `x-rampart-flags` response header an app's SDK sets. */
  flagVariants?: FlagVariantSeries[];
}

/**
 * The edge's server span for one proxied request, in the W3C trace it propagated (`traceparent` sent to
 * the instance carries `traceId` and `spanId`, so the app's spans are children of this one).
 */
export interface EdgeSpan {
  traceId: string;
  spanId: string;
  /** The client's span when the request came with a valid `traceparent`, else null (the edge started the trace). */
  parentSpanId: string | null;
  env: string;
  app: string;
  release: number;
  instance: string;
  /** The matched route's prefix ("" when none matched). */
  route: string;
  method: string;
  /** Path and query as received. */
  target: string;
  status: number;
  requestId: string;
  /** Epoch milliseconds (fractional). */
  startMs: number;
  durationMs: number;
}

/** Requests served with one variation of one flag, per env × app × release, folded like RequestSeries. */
export interface FlagVariantSeries {
  env: string;
  app: string;
  release: number;
  flag: string;
  variation: string;
  count: number;
  errors: number;
  sumMs: number;
  buckets: number[];
}

/** One aggregate per environment × app × release × instance × status code. */
export interface RequestSeries {
  env: string;
  app: string;
  /** 0 when no route or no release matched (404/503 answered by the edge itself). */
  release: number;
  /** "" when the edge answered itself. */
  instance: string;
  /** The matched route's prefix, e.g. "/api/"; "" when no route matched. Optional: older edges did not send it. */
  route?: string;
  status: number;
  count: number;
  /** Sum of durations, milliseconds. */
  sumMs: number;
  /** Counts per latency bucket; bounds in LATENCY_BUCKETS_MS (src/shared/measurement.ts), last bucket is +Inf. */
  buckets: number[];
}
