import type { PutTableResult } from "./edge-control.types.ts";
import type { EdgeSpan, FailedUserSeries, FlagVariantSeries, RequestSeries, RumSeries } from "./edge-stats.types.ts";
import type { RoutingTable } from "./routing-table.types.ts";

/**
 * Messages between the edge's primary and its workers (node IPC, JSON). The primary owns the control
 * socket and the table file; workers own the listeners and the proxying and only ever answer it.
 */
export type PrimaryMessage =
  | { type: "table"; seq: number; table: RoutingTable }
  | { type: "collect"; seq: number }
  | { type: "inflight"; seq: number }
  | { type: "shutdown"; drainMs: number };

export type WorkerMessage =
  | { type: "hello" }
  | { type: "applied"; seq: number; result: PutTableResult }
  | { type: "collected"; seq: number; stats: WorkerStats }
  | { type: "inflight"; seq: number; inflight: Record<string, number> };

/** One worker's measurements since its previous answer, plus what it has in flight right now. */
export interface WorkerStats {
  fromMs: number;
  toMs: number;
  series: RequestSeries[];
  inflight: Record<string, number>;
  spans: EdgeSpan[];
  flagVariants: FlagVariantSeries[];
  failedUsers: FailedUserSeries[];
  rum: RumSeries[];
  /** Requests this worker has finished since it started (health and tests read it). */
  served: number;
}
