import { join } from "node:path";
import type { EventLog } from "../events/event-log.ts";
import type { Clock } from "../shared/clock.ts";
import { errorMessage } from "../shared/errors.ts";
import { describeProbe, probeHealth } from "./health-probe.ts";
import type { InstanceStore } from "./instance.store.ts";
import type { InstanceRecord, InstanceStatus } from "./instance.types.ts";
import { backoffMs, restartPolicy, type LaunchConfig } from "./launch-config.ts";
import type { InstanceDriver } from "./runtime.types.ts";
import type { ExitStatus, InstanceProcess, InstanceSpec } from "./runtime.types.ts";
import { allocatePort } from "./port-allocator.ts";
import { isSameProcess } from "./process-info.ts";
import { logger } from "../shared/logger.ts";
import { storageProblem } from "../shared/storage-errors.ts";

/** How the supervisor reaches the traffic owner (src/traffic) without depending on it. */
export interface TrafficControl {
  /** Recomputes the routing table and resolves once the edge has applied it. */
  applyRouting(): Promise<void>;
  /** Requests the edge has in flight to this instance right now. */
  inflight(instanceId: string): Promise<number>;
  /** Whether the traffic state has the instance in rotation. */
  isRoutable(instance: InstanceRecord): boolean;
  /** Takes the instance out of rotation (a traffic change with its event) and pushes the table. */
  takeOut(instance: InstanceRecord, reason: string): Promise<void>;
}

export interface SupervisorDeps {
  store: InstanceStore;
  events: EventLog;
  driver: InstanceDriver;
  clock: Clock;
  dataDir: string;
  traffic: TrafficControl;
  launchConfig(instance: InstanceRecord): Promise<LaunchConfig>;
  /** Decrypts a release's secrets at each start (throws naming what cannot be decrypted); absent: none. */
  secretValues?(refs: NonNullable<LaunchConfig["secrets"]>): Promise<Record<string, string>>;
}

interface Watched {
  record: InstanceRecord;
  launch: LaunchConfig;
  crashes: number[];
  failures: number;
  nextProbeAt: number;
  probing: boolean;
  /** When the app was first seen gone, while waiting for its runner to report how it exited. */
  goneSince: number | null;
  /** The drain-and-stop under way, so a second caller waits for it instead of stopping twice. */
  stopping: Promise<void> | null;
  /** A start or restart is under way: no pid to check yet. */
  spawning: boolean;
  restartAt: number | null;
  /** Its runner died while the app runs on: being taken out of traffic and replaced. */
  replacingRunner: boolean;
}

const TICK_MS = 100;
/** A restart that failed because the data dir cannot be written is tried again this often, without giving up. */
const STORAGE_RETRY_MS = 2_000;
const EXIT_STATUS_WAIT_MS = 1_500;

/**
 * Keeps instances alive and honest: starts them, probes their health, notices crashes (by pid and start time,
 * since adopted instances are not our children), restarts them with capped backoff, gives up on crash loops,
 * and drains them before stopping. Every transition is an event.
 */
export class InstanceSupervisor {
  readonly #deps: SupervisorDeps;
  readonly #watched = new Map<string, Watched>();
  #timer: NodeJS.Timeout | undefined;
  #ticking = false;

  constructor(deps: SupervisorDeps) {
    this.#deps = deps;
  }

  /** Re-adopts the instances a previous control plane left running; restarts those that died meanwhile. */
  async adoptAll(): Promise<void> {
    for (const record of await this.#deps.store.listActive()) {
      const launch = await this.#deps.launchConfig(record);
      const watched = this.#watch(record, launch);
      const proc = processOf(record);
      if (record.status === "stopping") {
        this.#background(this.drainAndStop(record.id, "control plane restarted while draining"), record.id);
      } else if (proc && this.#deps.driver.isRunning(proc)) {
        await this.#deps.events.append({
          ...labels(record),
          type: "instance.adopted",
          message: `adopted ${record.id} (pid ${record.pid})`,
          data: { pid: record.pid },
        });
      } else if (record.status !== "failed") {
        // Gone with the machine (a reboot), not crashed on its own: started again at once, with no backoff.
        await this.#onExit(watched, "lost while the control plane was down", { immediate: true });
      }
    }
  }

  start(): void {
    this.#timer ??= setInterval(() => void this.#tick(), TICK_MS);
  }

  /** Stops watching; the instances keep running (they do not die with the control plane). */
  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  async launch(input: { env: string; app: string; release: number; slot: number }, launch: LaunchConfig): Promise<InstanceRecord> {
    const id = `${input.env}.${input.app}.r${input.release}.${input.slot}`;
    // A secret that cannot be decrypted fails the start here, before an instance exists that would crash-loop on it.
    await this.#secretsOf(launch);
    const now = this.#deps.clock.now();
    const record: InstanceRecord = {
      ...input,
      id,
      port: await allocatePort(),
      status: "starting",
      pid: null,
      pidStart: null,
      runnerPid: null,
      runnerStart: null,
      restarts: 0,
      startedAt: now,
      updatedAt: now,
      logPath: join(this.#deps.dataDir, "logs", input.env, input.app, `${id}.log`),
      stateDir: join(this.#deps.dataDir, "instances", id),
      lastExit: null,
    };
    // A slot stopped earlier (`rampart down`) keeps its id when its live release comes back: the row is reused.
    const previous = await this.#deps.store.get(id);
    if (previous && previous.status !== "stopped") throw new Error(`instance ${id} already exists (${previous.status})`);
    await this.#deps.events.transact(async (trx, emit) => {
      if (previous) {
        const { id: _id, env: _env, app: _app, release: _release, slot: _slot, ...fresh } = record;
        await this.#deps.store.update(trx, id, fresh);
      } else await this.#deps.store.insert(trx, record);
      await emit({
        ...labels(record),
        type: "instance.created",
        message: `${previous ? "re-created" : "created"} ${record.id} on port ${record.port}`,
        data: { status: record.status, port: record.port },
      });
    });
    const watched = this.#watch(record, launch);
    await this.#spawn(watched, "instance.started");
    return watched.record;
  }

  get(id: string): InstanceRecord | undefined {
    return this.#watched.get(id)?.record;
  }

  list(): InstanceRecord[] {
    return [...this.#watched.values()].map((w) => w.record);
  }

  /** Whether the edge may send the instance traffic (when healthy): the traffic state's answer. */
  isRoutable(record: InstanceRecord): boolean {
    return this.#deps.traffic.isRoutable(record);
  }

  /** No new requests, in-flight ones finish (up to `drain`), then SIGTERM, then SIGKILL at the drain deadline. */
  async drainAndStop(id: string, reason: string): Promise<void> {
    const watched = this.#watched.get(id);
    if (!watched || watched.record.status === "stopped") return;
    watched.stopping ??= (async () => {
      if (watched.record.status !== "stopping") {
        await this.#transition(watched, "stopping", "instance.draining", `draining ${id}: ${reason}`);
        await this.#deps.traffic.takeOut(watched.record, `draining ${id}: ${reason}`);
      }
      await this.#finishStop(watched, reason);
    })();
    await watched.stopping;
  }

  async #finishStop(watched: Watched, reason: string): Promise<void> {
    const { record, launch } = watched;
    const deadline = this.#deps.clock.now() + launch.drainMs;
    while (this.#deps.clock.now() < deadline && (await this.#inflightOrZero(record.id)) > 0) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const proc = processOf(record);
    let exit: ExitStatus | null = null;
    if (proc) {
      const graceMs = Math.max(1_000, deadline - this.#deps.clock.now());
      exit = await this.#deps.driver.stop(proc, { graceMs });
    }
    await this.#transition(watched, "stopped", "instance.stopped", `stopped ${record.id}: ${reason}`, {
      lastExit: exit ? describeExit(exit) : record.lastExit,
    });
    this.#watched.delete(record.id);
  }

  async #inflightOrZero(id: string): Promise<number> {
    try {
      return await this.#deps.traffic.inflight(id);
    } catch {
      return 0;
    }
  }

  #watch(record: InstanceRecord, launch: LaunchConfig): Watched {
    const watched: Watched = {
      record,
      launch,
      crashes: [],
      failures: 0,
      nextProbeAt: 0,
      probing: false,
      goneSince: null,
      stopping: null,
      spawning: false,
      restartAt: null,
      replacingRunner: false,
    };
    this.#watched.set(record.id, watched);
    return watched;
  }

  async #spawn(watched: Watched, type: "instance.started" | "instance.restarted"): Promise<void> {
    const { record, launch } = watched;
    watched.spawning = true;
    let secrets: Record<string, string> | undefined;
    try {
      secrets = await this.#secretsOf(launch);
    } catch (error) {
      watched.spawning = false;
      // Never started without its values: the start counts as failed, with the reason naming what cannot be decrypted.
      await this.#onExit(watched, errorMessage(error));
      return;
    }
    const spec: InstanceSpec = {
      id: record.id,
      cwd: launch.cwd,
      command: launch.command,
      env: {
        ...launch.env,
        PORT: String(record.port),
        RAMPART_ENV: record.env,
        RAMPART_APP: record.app,
        RAMPART_RELEASE: String(record.release),
        RAMPART_INSTANCE: record.id,
        ...withInstanceAttribute(launch.env, record.id),
      },
      logPath: record.logPath,
      stateDir: record.stateDir,
      ...(secrets && { secrets, secretFiles: launch.secrets?.asFiles ?? false }),
    };
    try {
      const proc = await this.#deps.driver.start(spec);
      const restarts = type === "instance.restarted" ? record.restarts + 1 : record.restarts;
      await this.#transition(
        watched,
        "starting",
        type,
        `${type === "instance.started" ? "started" : "restarted"} ${record.id} (pid ${proc.pid}, port ${record.port})`,
        {
          pid: proc.pid,
          pidStart: proc.pidStart,
          runnerPid: proc.runnerPid,
          runnerStart: proc.runnerStart,
          restarts,
        },
        { pid: proc.pid, port: record.port, restarts },
      );
      watched.failures = 0;
      watched.nextProbeAt = 0;
    } catch (error) {
      // The data dir, not the app, failed (full or read-only): a restart waits for it without counting as a crash.
      if (watched.record.status === "crashed" && storageProblem(error, this.#deps.dataDir) !== undefined) {
        watched.restartAt = this.#deps.clock.now() + STORAGE_RETRY_MS;
        logger.warn({ err: error, instance: watched.record.id }, "cannot restart the instance: the data dir is not writable; retrying");
      } else {
        await this.#onExit(watched, errorMessage(error));
      }
    } finally {
      watched.spawning = false;
    }
  }

  async #secretsOf(launch: LaunchConfig): Promise<Record<string, string> | undefined> {
    if (!launch.secrets || Object.keys(launch.secrets.versions).length === 0) return undefined;
    if (!this.#deps.secretValues) throw new Error("this release has secrets but the platform was started without the secrets capability");
    return this.#deps.secretValues(launch.secrets);
  }

  /** Work started from the tick: a failure (e.g. the store cannot be written) is logged and retried, never fatal. */
  #background(work: Promise<void>, id: string): void {
    work.catch((error: unknown) => logger.error({ err: error, instance: id }, "supervisor: background work failed"));
  }

  async #tick(): Promise<void> {
    if (this.#ticking) return;
    this.#ticking = true;
    try {
      const now = this.#deps.clock.now();
      for (const watched of [...this.#watched.values()]) {
        const { record } = watched;
        if (watched.spawning || record.status === "stopping" || record.status === "stopped" || record.status === "failed") continue;
        if (record.status === "crashed") {
          if (watched.restartAt !== null && now >= watched.restartAt) {
            watched.restartAt = null;
            this.#background(this.#spawn(watched, "instance.restarted"), record.id);
          }
          continue;
        }
        // Replacing a lost runner stops the app on purpose: that exit is not a crash to notice here.
        if (watched.replacingRunner) continue;
        const proc = processOf(record);
        if (!proc || !this.#deps.driver.isRunning(proc)) {
          const exit = this.#deps.driver.exitStatus(record);
          // The runner writes the exit status once it has drained the app's output; give it a moment.
          watched.goneSince ??= now;
          if (!exit && proc && now - watched.goneSince < EXIT_STATUS_WAIT_MS && isSameProcess(proc.runnerPid, proc.runnerStart)) continue;
          watched.goneSince = null;
          await this.#onExit(watched, exit ? describeExit(exit) : "process disappeared");
          continue;
        }
        if (!isSameProcess(proc.runnerPid, proc.runnerStart)) {
          watched.replacingRunner = true;
          this.#background(this.#replaceLostRunner(watched, proc), record.id);
          continue;
        }
        if (!watched.probing && now >= watched.nextProbeAt) this.#background(this.#probe(watched), record.id);
      }
    } catch (error) {
      logger.error({ err: error }, "supervisor tick failed");
    } finally {
      this.#ticking = false;
    }
  }

  /**
   * The runner of a running app died (killed, OOM): nobody reads the app's output (it is lost, and the app may
   * block or die on a full or broken pipe) and nobody reports its exit. The app is taken out of traffic, given
   * its drain time for requests in flight, stopped, and restarted under a new runner like a crash.
   */
  async #replaceLostRunner(watched: Watched, proc: InstanceProcess): Promise<void> {
    try {
      const { record } = watched;
      const wasRoutable = this.#deps.traffic.isRoutable(record) && record.status === "healthy";
      await this.#transition(
        watched,
        "unhealthy",
        "instance.unhealthy",
        `${record.id}: its runner (pid ${proc.runnerPid}) died; taking it out of traffic and restarting it under a new runner`,
        {},
        { runnerLost: true },
      );
      if (wasRoutable) await this.#deps.traffic.applyRouting();
      const deadline = this.#deps.clock.now() + watched.launch.drainMs;
      while (this.#deps.clock.now() < deadline && (await this.#inflightOrZero(record.id)) > 0) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await this.#deps.driver.stop(proc, { graceMs: Math.max(1_000, deadline - this.#deps.clock.now()) });
      if (watched.record.status === "unhealthy")
        await this.#onExit(watched, `its runner died (pid ${proc.runnerPid}); stopped and restarted under a new runner`);
    } finally {
      watched.replacingRunner = false;
    }
  }

  async #probe(watched: Watched): Promise<void> {
    watched.probing = true;
    try {
      const { health } = watched.launch;
      const result = await probeHealth({ host: "127.0.0.1", port: watched.record.port, path: health.path, timeoutMs: health.timeoutMs });
      const status = watched.record.status;
      if (status !== "starting" && status !== "healthy" && status !== "unhealthy") return;
      const detail = result.ok ? `HTTP ${result.status}` : (result.error ?? `HTTP ${result.status}`);
      // Shown while it waits (deploy --wait, rampart status) and in a start failure, instead of silence.
      const lastProbe = result.ok ? null : describeProbe(health.path, health.timeoutMs, result);
      if ((watched.record.lastProbe ?? null) !== lastProbe) watched.record = { ...watched.record, lastProbe };
      if (result.ok) {
        watched.failures = 0;
        if (status !== "healthy") {
          await this.#transition(watched, "healthy", "instance.healthy", `${watched.record.id} is healthy (${detail} in ${result.ms} ms)`);
          if (this.#deps.traffic.isRoutable(watched.record)) await this.#deps.traffic.applyRouting();
        }
      } else if (status === "healthy") {
        watched.failures += 1;
        if (watched.failures >= health.unhealthyThreshold) {
          await this.#transition(
            watched,
            "unhealthy",
            "instance.unhealthy",
            `${watched.record.id} is unhealthy: ${lastProbe ?? `${health.path} ${detail}`} (${watched.failures} checks in a row)`,
          );
          if (this.#deps.traffic.isRoutable(watched.record)) await this.#deps.traffic.applyRouting();
        }
      }
      const interval =
        watched.record.status === "starting" ? Math.min(restartPolicy.startingProbeMs, health.intervalMs) : health.intervalMs;
      watched.nextProbeAt = this.#deps.clock.now() + interval;
    } finally {
      watched.probing = false;
    }
  }

  async #onExit(watched: Watched, how: string, options: { immediate?: boolean } = {}): Promise<void> {
    const now = this.#deps.clock.now();
    // Counted only once recorded: when the store cannot be written (data dir full), the next tick tries again,
    // and those retries must not add up to a crash loop the app never had.
    const crashes = [...watched.crashes.filter((t) => now - t < restartPolicy.crashLoopWindowMs), now];
    const wasRoutable = this.#deps.traffic.isRoutable(watched.record) && watched.record.status === "healthy";
    if (crashes.length >= restartPolicy.crashLoopCount) {
      await this.#transition(
        watched,
        "failed",
        "instance.crash_loop",
        `${watched.record.id} crashed ${crashes.length} times in ${restartPolicy.crashLoopWindowMs / 1000} s (last: ${how}); not restarting it`,
        { lastExit: how },
      );
    } else {
      const delay = options.immediate ? 0 : backoffMs(crashes.length);
      await this.#transition(
        watched,
        "crashed",
        "instance.crashed",
        `${watched.record.id} exited: ${how}; restarting in ${delay} ms`,
        { lastExit: how },
        { exit: how, restartInMs: delay },
      );
      watched.restartAt = now + delay;
    }
    watched.crashes = crashes;
    if (wasRoutable) await this.#deps.traffic.applyRouting();
  }

  async #transition(
    watched: Watched,
    status: InstanceStatus,
    type:
      | "instance.started"
      | "instance.restarted"
      | "instance.healthy"
      | "instance.unhealthy"
      | "instance.crashed"
      | "instance.crash_loop"
      | "instance.draining"
      | "instance.stopped",
    message: string,
    patch: Partial<InstanceRecord> = {},
    data: Record<string, unknown> = {},
  ): Promise<void> {
    const updatedAt = this.#deps.clock.now();
    const next: InstanceRecord = { ...watched.record, ...patch, status, updatedAt };
    await this.#deps.events.transact(async (trx, emit) => {
      await this.#deps.store.update(trx, next.id, { ...patch, status, updatedAt });
      await emit({ ...labels(next), type, message, data: { status, ...data } });
    });
    watched.record = next;
  }
}

/**
 * OpenTelemetry resource attributes name the instance too, so an app's spans and logs say which one sent them.
 * Only added to attributes Rampart injected (they start with rampart.env=); an app's own setting is left alone.
 */
function withInstanceAttribute(env: Record<string, string>, id: string): Record<string, string> {
  const attributes = env.OTEL_RESOURCE_ATTRIBUTES;
  if (attributes === undefined || !attributes.startsWith("rampart.env=") || attributes.includes("rampart.instance=")) return {};
  return { OTEL_RESOURCE_ATTRIBUTES: `${attributes},rampart.instance=${id}` };
}

function processOf(record: InstanceRecord): InstanceProcess | null {
  if (record.pid === null || record.pidStart === null || record.runnerPid === null || record.runnerStart === null) return null;
  return {
    pid: record.pid,
    pidStart: record.pidStart,
    runnerPid: record.runnerPid,
    runnerStart: record.runnerStart,
    stateDir: record.stateDir,
  };
}

function labels(record: InstanceRecord) {
  return { env: record.env, app: record.app, release: record.release, instance: record.id };
}

function describeExit(exit: ExitStatus): string {
  if (exit.error) return exit.error;
  return exit.signal ? `killed by ${exit.signal}` : `exit code ${exit.code}`;
}
