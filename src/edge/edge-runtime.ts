import { compileTable, EMPTY_TABLE, type CompiledTable } from "./compiled-table.ts";
import type { EdgeHealth, PutTableResult } from "./edge-control.types.ts";
import type { EdgeStats } from "./edge-stats.types.ts";
import { ListenerSet } from "./listener-set.ts";
import { handleProxyRequest, type ProxyContext } from "./proxy-exchange.ts";
import { RequestStats } from "./request-stats.ts";
import type { RoutingTable } from "./routing-table.types.ts";
import { saveTable } from "./table-store.ts";
import { UpstreamRegistry } from "./upstream-registry.ts";

/**
 * The edge's state in one place: the table in force, the listeners, upstream pools and measurements.
 * Table applications are serialized, so two concurrent PUTs cannot interleave their reconciliations.
 */
export class EdgeRuntime {
  private table: CompiledTable = EMPTY_TABLE;
  private readonly registry = new UpstreamRegistry();
  private readonly stats = new RequestStats();
  private readonly listeners: ListenerSet;
  private readonly tablePath: string;
  private readonly startedAt = performance.now();
  private queue: Promise<unknown> = Promise.resolve();
  private active = 0;
  private onIdle: (() => void) | undefined;

  constructor(tablePath: string) {
    this.tablePath = tablePath;
    const ctx: ProxyContext = {
      registry: this.registry,
      stats: this.stats,
      exchangeEnded: () => {
        this.active--;
        if (this.active === 0) this.onIdle?.();
      },
    };
    this.listeners = new ListenerSet((env, req, res) => {
      this.active++;
      handleProxyRequest(ctx, env, req, res);
    });
  }

  get tableVersion(): number {
    return this.table.version;
  }

  /** Applies a validated table (unless it is older than the current one) and persists it when asked. */
  applyTable(table: RoutingTable, persist: boolean): Promise<PutTableResult> {
    const run = this.queue.then(() => this.apply(table, persist));
    this.queue = run.catch(() => {});
    return run;
  }

  private async apply(table: RoutingTable, persist: boolean): Promise<PutTableResult> {
    if (table.version < this.table.version) {
      return { version: this.table.version, listening: this.listeners.addresses(), errors: [] };
    }
    const compiled = compileTable(table);
    this.table = compiled;
    this.registry.setLive(compiled.instanceIds);
    const { listening, errors } = await this.listeners.reconcile(compiled);
    // Applied first, persisted second: a full disk must not keep a rollout's traffic shift from happening.
    if (persist) await saveTable(this.tablePath, table);
    return { version: compiled.version, listening, errors };
  }

  readStats(): EdgeStats {
    const folded = this.stats.drain();
    return { pid: process.pid, tableVersion: this.table.version, ...folded, inflight: this.registry.inflightSnapshot() };
  }

  health(): EdgeHealth {
    return { pid: process.pid, tableVersion: this.table.version, uptimeMs: Math.round(performance.now() - this.startedAt) };
  }

  /** Stops accepting, waits for in-flight requests (at most `graceMs`), then drops upstream connections. */
  async shutdown(graceMs: number): Promise<void> {
    this.listeners.closeAll();
    if (this.active > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, graceMs);
        this.onIdle = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    await this.registry.closeAll();
  }
}
