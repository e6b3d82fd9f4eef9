import { compileTable, EMPTY_TABLE, type CompiledTable } from "./compiled-table.ts";
import type { PutTableResult } from "./edge-control.types.ts";
import type { WorkerStats } from "./edge-ipc.types.ts";
import { DEFAULT_LISTENER_SETTINGS, ListenerSet, type ListenerSettings } from "./listener-set.ts";
import { handleProxyRequest, type ProxyContext } from "./proxy-exchange.ts";
import { RequestStats, SeriesSlots } from "./request-stats.ts";
import type { RoutingTable } from "./routing-table.types.ts";
import { FailedUsers } from "./failed-users.ts";
import { FlagVariantStats } from "./flag-variant-stats.ts";
import { createRumContext } from "./rum-beacon.ts";
import { RumStats } from "./rum-stats.ts";
import { workerRumKey } from "./rum-token.ts";
import { SpanRecorder } from "./span-recorder.ts";
import { UpstreamRegistry } from "./upstream-registry.ts";
import { RequestGuard } from "./request-guard.ts";
import { StreamRegistry } from "./stream-drain.ts";
import { GatewayAuth } from "./gateway-auth.ts";
import { AccessLog } from "./access-log.ts";
import { handleUpgrade, type UpgradeContext } from "./upgrade-proxy.ts";

/**
 * One worker's state: the table in force, its listeners (bound with SO_REUSEPORT next to the other
 * workers' so the kernel spreads connections), upstream pools and measurements. Table applications
 * are serialized, so two quick pushes cannot interleave their reconciliations.
 */
export class EdgeRuntime {
  private table: CompiledTable = EMPTY_TABLE;
  private readonly registry = new UpstreamRegistry();
  private readonly stats = new RequestStats();
  private readonly flagStats = new FlagVariantStats();
  private readonly failedUsers = new FailedUsers();
  private readonly rumStats = new RumStats();
  private readonly spans = new SpanRecorder();
  private readonly slots = new SeriesSlots();
  private readonly guard = new RequestGuard();
  private readonly streams = new StreamRegistry();
  private readonly gateway = new GatewayAuth();
  private readonly accessLog = new AccessLog();
  private readonly listeners: ListenerSet;
  private queue: Promise<unknown> = Promise.resolve();
  private active = 0;
  private served = 0;
  private onIdle: (() => void) | undefined;

  constructor() {
    const ctx: ProxyContext = {
      registry: this.registry,
      stats: this.stats,
      flagStats: this.flagStats,
      failedUsers: this.failedUsers,
      spans: this.spans,
      guard: this.guard,
      streams: this.streams,
      gateway: this.gateway,
      accessLog: this.accessLog,
      rum: createRumContext(workerRumKey(), this.rumStats),
      exchangeEnded: () => {
        this.served++;
        this.active--;
        if (this.active === 0) this.onIdle?.();
      },
    };
    const upgrades: UpgradeContext = {
      registry: this.registry,
      stats: this.stats,
      streams: this.streams,
      guard: this.guard,
      gateway: this.gateway,
    };
    this.listeners = new ListenerSet(
      (env, req, res) => {
        this.active++;
        handleProxyRequest(ctx, env, req, res);
      },
      10_000,
      (env, req, socket, head) => handleUpgrade(upgrades, env, req, socket, head),
    );
  }

  get tableVersion(): number {
    return this.table.version;
  }

  /** Applies a validated table unless it is older than the current one. */
  applyTable(table: RoutingTable): Promise<PutTableResult> {
    const run = this.queue.then(() => this.apply(table));
    this.queue = run.catch(() => {});
    return run;
  }

  private async apply(table: RoutingTable): Promise<PutTableResult> {
    if (table.version < this.table.version) {
      return { version: this.table.version, listening: this.listeners.addresses(), errors: [] };
    }
    const compiled = compileTable(table, this.slots);
    this.table = compiled;
    this.guard.configure(compiled, table);
    this.gateway.configure(compiled, table);
    this.accessLog.configure(compiled, table);
    this.registry.setLive(compiled.instanceIds);
    this.streams.setLive(compiled.instanceIds, drainByInstance(table));
    const { listening, errors } = await this.listeners.reconcile(compiled, listenerSettings(table));
    return { version: compiled.version, listening, errors };
  }

  /** What is in flight now, per instance; resets nothing (drains ask for it every 50 ms). */
  readInflight(): Record<string, number> {
    return this.registry.inflightSnapshot();
  }

  /** The measurements folded since the last call (which resets them) and what is in flight now. */
  readStats(): WorkerStats {
    return {
      ...this.stats.drain(),
      inflight: this.registry.inflightSnapshot(),
      served: this.served,
      spans: this.spans.drain(),
      flagVariants: this.flagStats.drain(),
      failedUsers: this.failedUsers.drain(),
      rum: this.rumStats.drain(),
    };
  }

  /** Stops accepting, waits for in-flight requests (at most `graceMs`), then drops upstream connections. */
  async shutdown(graceMs: number): Promise<void> {
    this.listeners.closeAll();
    // Streams never finish on their own: they are closed cleanly now (close frame, SSE end), so their
    // clients reconnect to the edge that takes over, instead of being cut at the end of the grace.
    const streamsClosed = this.streams.closeAll(graceMs);
    if (this.active > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, graceMs);
        this.onIdle = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    await streamsClosed;
    // Idle keep-alive connections are left to their clients for a moment (listener-set.ts): exiting now would
    // cut them, and a request just being sent on one would fail.
    const deadline = performance.now() + graceMs;
    while (this.listeners.lingering > 0 && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    await this.registry.closeAll();
    await this.accessLog.close();
  }
}

/** Each instance's app drain (ms): when it leaves the table, its streams are closed just before that. */
function drainByInstance(table: RoutingTable): Map<string, number> {
  const out = new Map<string, number>();
  for (const env of table.environments) {
    for (const app of env.apps) {
      for (const release of app.releases) for (const instance of release.instances) out.set(instance.id, app.drainMs ?? 10_000);
    }
  }
  return out;
}

function listenerSettings(table: RoutingTable): Map<string, ListenerSettings> {
  const out = new Map<string, ListenerSettings>();
  for (const env of table.environments) {
    out.set(env.name, {
      tls: env.tls ?? null,
      limits: env.limits ?? DEFAULT_LISTENER_SETTINGS.limits,
      http2: env.http2 ?? DEFAULT_LISTENER_SETTINGS.http2,
    });
  }
  return out;
}
