/** Answers of the edge's control socket besides GET /stats (see edge-stats.types.ts). */

/** PUT /table */
export interface PutTableResult {
  /** The version now in force: the pushed one, or the current one when the pushed table was older. */
  version: number;
  listening: { env: string; bind: string; port: number }[];
  /** Environments whose port could not be bound (e.g. EADDRINUSE); the rest of the table still applies. */
  errors: { env: string; port: number; message: string }[];
}

/** GET /inflight */
export interface EdgeInflight {
  inflight: Record<string, number>;
}

/** GET /health */
export interface EdgeHealth {
  /** The edge's primary process: the one the control plane starts, signals and watches. */
  pid: number;
  tableVersion: number;
  uptimeMs: number;
  /** The worker processes that serve traffic; `served` is as of their last stats answer. */
  workers?: { pid: number; served: number; restarts: number }[];
}
