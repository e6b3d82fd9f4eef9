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
}

/** One aggregate per environment × app × release × instance × status code. */
export interface RequestSeries {
  env: string;
  app: string;
  /** 0 when no route or no release matched (404/503 answered by the edge itself). */
  release: number;
  /** "" when the edge answered itself. */
  instance: string;
  status: number;
  count: number;
  /** Sum of durations, milliseconds. */
  sumMs: number;
  /** Counts per latency bucket; bounds in LATENCY_BUCKETS_MS (src/edge/latency-histogram.ts), last bucket is +Inf. */
  buckets: number[];
}
