import type { EdgeHealth, PutTableResult } from "./edge-control.types.ts";
import type { EdgeStats } from "./edge-stats.types.ts";
import type { RoutingTable } from "./routing-table.types.ts";
import { saveTable } from "./table-store.ts";
import type { WorkerPool } from "./worker-pool.ts";

/** What the control socket serves (control-server.ts); the primary implements it over its workers. */
export interface EdgeControl {
  applyTable(table: RoutingTable, persist: boolean): Promise<PutTableResult>;
  readStats(): Promise<EdgeStats>;
  /** Requests in flight per instance now; unlike readStats it resets no measurement. */
  readInflight(): Promise<Record<string, number>>;
  health(): EdgeHealth;
}

/** How long GET /stats waits for a worker; a late answer is not lost, it goes into the next call. */
const COLLECT_TIMEOUT_MS = 1_000;

/**
 * The edge's primary: the table in force (versioned, persisted) and the control API over a pool of
 * workers. Table applications are serialized, so two concurrent PUTs cannot interleave.
 */
export class EdgePrimary implements EdgeControl {
  private readonly pool: WorkerPool;
  private readonly tablePath: string;
  private readonly startedAt = performance.now();
  private version = 0;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(pool: WorkerPool, tablePath: string, initialVersion: number) {
    this.pool = pool;
    this.tablePath = tablePath;
    this.version = initialVersion;
  }

  applyTable(table: RoutingTable, persist: boolean): Promise<PutTableResult> {
    const run = this.queue.then(() => this.apply(table, persist));
    this.queue = run.catch(() => {});
    return run;
  }

  private async apply(table: RoutingTable, persist: boolean): Promise<PutTableResult> {
    if (table.version < this.version) {
      // Older than the one in force: answer with the current state, which workers report on a re-send.
      return { ...this.pool.currentResult(), version: this.version };
    }
    this.version = table.version;
    const result = await this.pool.applyTable(table);
    // Applied first, persisted second: a full disk must not keep a rollout's traffic shift from happening.
    if (persist) await saveTable(this.tablePath, table);
    return { ...result, version: table.version };
  }

  async readStats(): Promise<EdgeStats> {
    const collected = await this.pool.collect(COLLECT_TIMEOUT_MS);
    return { pid: process.pid, tableVersion: this.version, ...collected };
  }

  readInflight(): Promise<Record<string, number>> {
    return this.pool.inflight(COLLECT_TIMEOUT_MS);
  }

  health(): EdgeHealth {
    return {
      pid: process.pid,
      tableVersion: this.version,
      uptimeMs: Math.round(performance.now() - this.startedAt),
      workers: this.pool.describe(),
    };
  }
}
