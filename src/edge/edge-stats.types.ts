import { z } from "zod";

/** Counts per latency bucket; bounds in LATENCY_BUCKETS_MS (src/edge/latency-histogram.ts), last bucket is +Inf. */
export const bucketCountsSchema = z.array(z.number());

/** One aggregate per environment × app × release × instance × status code. */
export const requestSeriesSchema = z.object({
  env: z.string(),
  app: z.string(),
  /** 0 when no route or no release matched (404/503 answered by the edge itself). */
  release: z.number(),
  /** "" when the edge answered itself. */
  instance: z.string(),
  /** The matched route's prefix, e.g. "/api/"; "" when no route matched. Optional: older edges did not send it. */
  route: z.string().optional(),
  status: z.number(),
  count: z.number(),
  /** Sum of durations, milliseconds. */
  sumMs: z.number(),
  buckets: bucketCountsSchema,
});
export type RequestSeries = z.infer<typeof requestSeriesSchema>;

/**
 * The edge's server span for one proxied request, in the W3C trace it propagated (`traceparent` sent to
 * the instance carries `traceId` and `spanId`, so the app's spans are children of this one).
 */
export const edgeSpanSchema = z.object({
  traceId: z.string(),
  spanId: z.string(),
  /** The client's span when the request came with a valid `traceparent`, else null (the edge started the trace). */
  parentSpanId: z.string().nullable(),
  env: z.string(),
  app: z.string(),
  release: z.number(),
  instance: z.string(),
  /** The matched route's prefix ("" when none matched). */
  route: z.string(),
  method: z.string(),
  /** Path and query as received. */
  target: z.string(),
  status: z.number(),
  requestId: z.string(),
  /** Epoch milliseconds (fractional). */
  startMs: z.number(),
  durationMs: z.number(),
});
export type EdgeSpan = z.infer<typeof edgeSpanSchema>;

/** Requests served with one variation of one flag, per env × app × release, folded like RequestSeries. */
export const flagVariantSeriesSchema = z.object({
  env: z.string(),
  app: z.string(),
  release: z.number(),
  flag: z.string(),
  variation: z.string(),
  count: z.number(),
  errors: z.number(),
  sumMs: z.number(),
  buckets: bucketCountsSchema,
});
export type FlagVariantSeries = z.infer<typeof flagVariantSeriesSchema>;

/** The hashed sticky keys of the users whose requests failed, per env × app × release (failed-users.ts). */
export const failedUserSeriesSchema = z.object({
  env: z.string(),
  app: z.string(),
  release: z.number(),
  /** 32-bit hashes of sticky keys, repeated when a user failed more than once. */
  keys: z.array(z.number()),
});
export type FailedUserSeries = z.infer<typeof failedUserSeriesSchema>;

/**
 * Real-user measurements of one env × app × release (src/edge/rum-stats.ts): a web vital's histogram (ms; CLS in
 * thousandths, so all share the latency bounds) or, for `js_errors`, the count of errors reported (no buckets).
 */
export const rumSeriesSchema = z.object({
  env: z.string(),
  app: z.string(),
  release: z.number(),
  metric: z.enum(["lcp", "inp", "cls", "fcp", "ttfb", "js_errors"]),
  count: z.number(),
  /** Sum of the values, in the vital's own unit (ms, or CLS). */
  sum: z.number(),
  buckets: bucketCountsSchema,
});
export type RumSeries = z.infer<typeof rumSeriesSchema>;

/**
 * What the edge reports on GET /stats of its control socket: the request measurements folded since the
 * previous call (the call resets them), and the requests in flight right now per instance, which the
 * control plane reads to know when a removed instance has finished draining. Checked when the control plane
 * reads it (edge-client.ts).
 */
export const edgeStatsSchema = z.object({
  pid: z.number(),
  tableVersion: z.number(),
  /** Epoch ms of the first and last request folded into `series` (0 when empty). */
  fromMs: z.number(),
  toMs: z.number(),
  series: z.array(requestSeriesSchema),
  inflight: z.record(z.string(), z.number()),
  /** Server spans of sampled requests since the previous call (every error and slow request is kept). */
  spans: z.array(edgeSpanSchema).optional(),
  /** Requests per flag variation, from the `x-rampart-flags` response header an app's SDK sets. */
  flagVariants: z.array(flagVariantSeriesSchema).optional(),
  /** Users (hashed sticky keys) whose requests failed; optional: older edges did not send it. */
  failedUsers: z.array(failedUserSeriesSchema).optional(),
  /** Web vitals and JS errors from RUM beacons (apps with `rum: true`). */
  rum: z.array(rumSeriesSchema).optional(),
});
export type EdgeStats = z.infer<typeof edgeStatsSchema>;
