import { spawn } from "node:child_process";
import { mkdirSync, openSync, closeSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import type { KvStore } from "../db/kv.store.ts";
import { checkedAs } from "../shared/checked-json.ts";
import type { EventLog } from "../events/event-log.ts";
import { isSameProcess, readProcessStartTime } from "../runtime/process-info.ts";
import { waitFor } from "../shared/wait.ts";
import { createEdgeClient, type EdgeClient } from "../edge/edge-client.ts";
import { orphanedEdgeWorkers } from "./edge-processes.ts";
import type { PutTableResult } from "../edge/edge-control.types.ts";
import type { EdgeStats } from "../edge/edge-stats.types.ts";
import type { FailedUsersStore } from "./failed-users.store.ts";
import type { RequestStatsStore } from "./request-stats.store.ts";
import type { RoutingTable } from "../edge/routing-table.types.ts";
import { logger } from "../shared/logger.ts";
import type { TrafficPusher } from "./traffic.service.ts";
import { ownScriptArgs } from "../shared/own-script.ts";

const EDGE_MAIN = fileURLToPath(new URL("../edge/edge-main.ts", import.meta.url));
const POLL_MS = 1_000;
const START_DEADLINE_MS = 15_000;
/** An environment whose port could not be bound is tried again this often, so freeing the port is enough. */
const LISTEN_RETRY_MS = 2_000;

export interface EdgeControllerDeps {
  dataDir: string;
  events: EventLog;
  kv: KvStore;
  stats: RequestStatsStore;
  failedUsers: FailedUsersStore;
  /** The table to push, from the platform's current state (the version is set here). */
  buildTable(version: number): Promise<RoutingTable>;
  /** Told about every collection (metrics, traces, flag guards), after request_stats is written. */
  sinks?: EdgeStatsSink[];
}

/** A consumer of the edge's per-second collections; `atMs` is the second (epoch ms) they are filed under. */
export interface EdgeStatsSink {
  acceptEdgeStats(stats: EdgeStats, atMs: number): void;
}

/** The edge process the control plane started, kept in KV "edge" (null once it is stopped) to adopt it after a restart. */
const edgeIdentitySchema = z.object({ pid: z.number(), pidStart: z.string() });
type EdgeIdentity = z.infer<typeof edgeIdentitySchema>;

/**
 * The control plane's side of the edge: starts the edge process detached (or adopts the one a previous
 * control plane left serving), pushes routing tables, and collects the edge's per-second measurements.
 */
export class EdgeController implements TrafficPusher {
  readonly #deps: EdgeControllerDeps;
  readonly #client: EdgeClient;
  #identity: EdgeIdentity | null = null;
  #version = 0;
  #chain: Promise<unknown> = Promise.resolve();
  #timer: NodeJS.Timeout | undefined;
  #inflight: Record<string, number> = {};
  #lastResult: PutTableResult | null = null;
  /** The last table the edge took (its answer named that version): what it routes by now. */
  #applied: RoutingTable | null = null;
  #respawning: Promise<void> | null = null;
  /** Set by stopEdge: the edge is going away on purpose and is not restarted. */
  #stopped = false;
  #inflightEndpoint = true;
  #lastPushAt = 0;

  constructor(deps: EdgeControllerDeps) {
    this.#deps = deps;
    this.#client = createEdgeClient(join(deps.dataDir, "run", "edge.sock"));
  }

  get pid(): number | null {
    return this.#identity?.pid ?? null;
  }

  get lastResult(): PutTableResult | null {
    return this.#lastResult;
  }

  /**
   * Whether the edge, by the last table it took, sends `app`'s requests in `env` to an instance (a release with a
   * share of traffic). An instance turns healthy a moment before the table naming it reaches the edge; a request
   * sent in between (a synthetic check's first probe) gets the edge's 503.
   */
  routesTo(env: string, app: string): boolean {
    const routed = this.#applied?.environments.find((e) => e.name === env)?.apps.find((a) => a.name === app);
    return routed?.releases.some((r) => r.weight > 0 && r.instances.length > 0) ?? false;
  }

  /** Adopts a live edge (so traffic never stops across control-plane restarts) or starts one. */
  async start(): Promise<{ adopted: boolean }> {
    const known = checkedAs(edgeIdentitySchema.nullish(), await this.#deps.kv.get("edge"), `KV "edge" (the edge process to adopt)`);
    if (known && isSameProcess(known.pid, known.pidStart)) {
      try {
        const health = await this.#client.health();
        this.#identity = known;
        this.#version = health.tableVersion;
        await this.#deps.events.append({
          type: "edge.adopted",
          message: `adopted the edge (pid ${known.pid}) serving table ${health.tableVersion}`,
          data: { pid: known.pid },
        });
        return { adopted: true };
      } catch {
        // Alive but not answering on its socket: replace it below.
        process.kill(known.pid, "SIGKILL");
      }
    }
    await this.#spawn("started");
    return { adopted: false };
  }

  async #spawn(why: string): Promise<void> {
    mkdirSync(join(this.#deps.dataDir, "logs"), { recursive: true });
    const log = openSync(join(this.#deps.dataDir, "logs", "edge.log"), "a");
    // Detached: the edge must outlive this process so traffic flows through a control-plane crash.
    const child = spawn(process.execPath, ownScriptArgs(EDGE_MAIN, ["--data", this.#deps.dataDir]), {
      detached: true,
      stdio: ["ignore", log, log],
    });
    closeSync(log);
    child.unref();
    const pid = child.pid;
    if (pid === undefined) throw new Error("could not start the edge process");
    const health = await waitFor(
      async () => {
        try {
          return await this.#client.health();
        } catch {
          return undefined;
        }
      },
      {
        timeoutMs: START_DEADLINE_MS,
        intervalMs: 50,
        onTimeout: () =>
          new Error(`the edge did not come up within ${START_DEADLINE_MS} ms; see ${join(this.#deps.dataDir, "logs", "edge.log")}`),
      },
    );
    // The process that answers is the edge, even if it is not the one just spawned (which then exits: an
    // edge refuses to start while another answers on the socket). Never record a pid that is not serving.
    this.#identity = { pid: health.pid, pidStart: readProcessStartTime(health.pid) ?? "" };
    this.#version = health.tableVersion;
    this.#inflightEndpoint = true;
    const identity = this.#identity;
    await this.#deps.events.transact(async (trx, emit) => {
      await this.#deps.kv.set("edge", identity, trx);
      await emit({ type: "edge.started", message: `edge ${why} (pid ${health.pid})`, data: { pid: health.pid } });
    });
  }

  /** Pushes a fresh table; calls are queued so tables reach the edge in order. */
  applyRouting(): Promise<void> {
    const next = this.#chain.then(() => this.#push());
    this.#chain = next.catch(() => undefined);
    return next;
  }

  async #push(): Promise<void> {
    this.#lastPushAt = Date.now();
    this.#version = Math.max(Date.now(), this.#version + 1);
    const table = await this.#deps.buildTable(this.#version);
    const result = await this.#client.putTable(table);
    this.#version = result.version;
    if (result.version === table.version) this.#applied = table;
    const before = this.#lastResult?.errors ?? [];
    const newErrors = result.errors.filter((e) => !before.some((o) => o.env === e.env && o.port === e.port));
    const cleared = before.filter((o) => result.listening.some((l) => l.env === o.env && l.port === o.port));
    this.#lastResult = result;
    for (const error of newErrors) {
      await this.#deps.events.append({
        type: "edge.table_rejected",
        env: error.env,
        message: `the edge cannot listen for ${error.env} on port ${error.port}: ${error.message}; it tries again every ${LISTEN_RETRY_MS / 1000} s`,
        data: { ...error },
      });
    }
    for (const error of cleared) {
      await this.#deps.events.append({
        type: "edge.listening",
        env: error.env,
        message: `the edge listens for ${error.env} on port ${error.port} again (it could not: ${error.message})`,
        data: { port: error.port },
      });
    }
  }

  /**
   * Asked every 50 ms by each drain: a read of the edge's in-flight counts that neither resets its per-second
   * measurements nor runs the sinks. An edge from before GET /inflight (adopted across an upgrade) answers 404;
   * it is then asked for its stats as before, and those are kept for the next per-second collection.
   */
  async inflight(instanceId: string): Promise<number> {
    if (this.#inflightEndpoint) {
      try {
        const { inflight } = await this.#client.inflight();
        this.#inflight = inflight;
        return inflight[instanceId] ?? 0;
      } catch (error) {
        if (!/GET \/inflight: 404/.test(String(error))) throw error;
        this.#inflightEndpoint = false;
      }
    }
    await this.#collect();
    return this.#inflight[instanceId] ?? 0;
  }

  startPolling(): void {
    this.#timer ??= setInterval(() => void this.#tick(), POLL_MS);
  }

  stopPolling(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** `rampart down`: the edge finishes in-flight requests and exits. */
  async stopEdge(): Promise<void> {
    // A poll that finds the edge gone while it drains must not start a new one (it would outlive `rampart down`),
    // and a restart already under way finishes first, so the edge it starts is the one stopped here.
    this.#stopped = true;
    this.stopPolling();
    await this.#respawning?.catch(() => undefined);
    const identity = this.#identity;
    if (!identity) return;
    // Workers orphaned by an earlier primary (none came after it) drain on SIGTERM like any worker.
    for (const pid of orphanedEdgeWorkers(identity.pid)) process.kill(pid, "SIGTERM");
    if (!isSameProcess(identity.pid, identity.pidStart)) return;
    process.kill(identity.pid, "SIGTERM");
    await waitFor(() => (isSameProcess(identity.pid, identity.pidStart) ? undefined : true), { timeoutMs: 15_000 }).catch(() =>
      process.kill(identity.pid, "SIGKILL"),
    );
  }

  async #tick(): Promise<void> {
    // One replacement at a time: a start slower than the poll interval must not start a second edge.
    if (this.#respawning || this.#stopped) return;
    try {
      await this.#collect();
      // A port that could not be bound (taken by another process) is retried by pushing the table again: each
      // edge worker binds what it does not listen on yet, so freeing the port is enough (no deploy needed).
      if ((this.#lastResult?.errors.length ?? 0) > 0 && Date.now() - this.#lastPushAt >= LISTEN_RETRY_MS)
        await this.applyRouting().catch((error: unknown) => logger.warn({ err: error }, "edge listen retry failed"));
    } catch (error) {
      const identity = this.#identity;
      if (identity && isSameProcess(identity.pid, identity.pidStart)) {
        logger.warn({ err: error }, "edge stats unavailable");
        return;
      }
      this.#respawning = (async () => {
        await this.#spawn("restarted after it exited");
        await this.applyRouting();
      })();
      try {
        await this.#respawning;
      } catch (spawnError) {
        logger.error({ err: spawnError }, "edge restart failed");
      } finally {
        this.#respawning = null;
      }
    }
  }

  async #collect(): Promise<EdgeStats> {
    const stats = await this.#client.stats();
    this.#inflight = stats.inflight;
    const atMs = Math.floor((stats.toMs || Date.now()) / 1000) * 1000;
    if (stats.series.length > 0) await this.#deps.stats.insert(atMs, stats.series);
    if (stats.failedUsers !== undefined && stats.failedUsers.length > 0) await this.#deps.failedUsers.insert(atMs, stats.failedUsers);
    for (const sink of this.#deps.sinks ?? []) {
      try {
        sink.acceptEdgeStats(stats, atMs);
      } catch (error) {
        logger.error({ err: error }, "edge stats sink failed");
      }
    }
    return stats;
  }
}
