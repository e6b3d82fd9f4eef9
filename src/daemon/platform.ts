import { mkdirSync } from "node:fs";
import { resolve } from "node:path";
import type { FastifyInstance } from "fastify";
import { ManifestSource } from "../config/manifest-source.ts";
import { openDatabase } from "../db/database.ts";
import { createEvents } from "../events/events.module.ts";
import { createFlags } from "../flags/flags.module.ts";
import { createIncidents } from "../incidents/incidents.module.ts";
import { eventlessTables, platformMigrations } from "../platform/migrations.ts";
import type { Module } from "../platform/module.ts";
import { stopEnvironment } from "../platform/environment-stop.ts";
import { findLeftovers, stopLeftovers, type Leftover } from "../platform/leftovers.ts";
import { createPlatformStatus } from "../platform/platform-status.module.ts";
import type { StatusService } from "../platform/status.service.ts";
import { createReleases } from "../releases/releases.module.ts";
import { createRuntime } from "../runtime/runtime.module.ts";
import { systemClock, type TimerClock } from "../shared/clock.ts";
import { logger } from "../shared/logger.ts";
import { rampartVersion } from "../shared/version.ts";
import { createTelemetry } from "../telemetry/telemetry.module.ts";
import { createTraffic } from "../traffic/traffic.module.ts";
import type { EventLog } from "../events/event-log.ts";
import type { Credentials } from "./credentials.ts";
import { serveApi } from "./platform-api.ts";
import { lockDataDir } from "./data-dir-lock.ts";
import { assertApiPortFree } from "./api-port.ts";

export interface PlatformOptions {
  configPath: string;
  dataDir: string;
  apiHost: string;
  apiPort: number;
  clock?: TimerClock;
}

export interface RunningPlatform {
  credentials: Credentials;
  status: StatusService;
  /** Resolves when the platform has stopped (after `stop` or a shutdown request). */
  stopped: Promise<void>;
  /** Leaves the edge and instances serving unless `stopApps`. */
  stop(stopApps: boolean): Promise<void>;
  /** Instances still running for environments or apps removed from rampart.yaml. */
  leftovers(): Leftover[];
  /** Drains and stops them (`rampart up --yes`); returns their ids. */
  stopLeftovers(actor: string): Promise<string[]>;
}

/** The one composition root: a list of capability modules (src/platform/module.ts), wired here and nowhere else. */
export async function startPlatform(options: PlatformOptions): Promise<RunningPlatform> {
  const clock = options.clock ?? systemClock;
  const dataDir = resolve(options.dataDir);
  // The manifest is validated before anything starts or changes.
  const manifests = new ManifestSource(resolve(options.configPath));
  // A taken API port stops `up` here, before an edge or instance is started that it would leave behind.
  await assertApiPortFree(options.apiHost, options.apiPort);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const unlock = lockDataDir(dataDir);
  // Tests set RAMPART_EVENT_AUDIT to a file: every transaction that writes state without an event is recorded there.
  const auditFile = process.env.RAMPART_EVENT_AUDIT;
  const database = await openDatabase(
    dataDir,
    platformMigrations,
    auditFile ? { audit: { eventless: eventlessTables, file: auditFile } } : {},
  );
  const { db } = database;
  const startedAt = clock.now();
  const assertApp = (env: string, app: string) => manifests.assertApp(env, app);

  // Modules that need each other's services late (instances, launch configs, sinks) get them through closures.
  const events = createEvents({ db, clock });
  const shared = { db, clock, dataDir, events: events.log };
  const telemetry = createTelemetry({
    ...shared,
    startedAt,
    instances: () => runtime.supervisor.list(),
    scrapeTargetOf: async (i) => (await releases.store.get(i.env, i.app, i.release))?.config.metrics ?? null,
    assertApp,
    extraFamilies: () => incidents.metricFamilies(),
  });
  // A fixed API port is known now, so instances started before the API listens get the OTLP endpoint too.
  if (options.apiPort !== 0) telemetry.setApi(options.apiHost, options.apiPort);
  const flags = createFlags({ ...shared, manifests });
  const traffic = createTraffic({
    ...shared,
    manifests,
    releases: { get: (...a) => releases.store.get(...a), findByStatus: (...a) => releases.store.findByStatus(...a) },
    instances: () => runtime.supervisor.list(),
    sinks: () => modules.flatMap((m) => m.sinks ?? []),
  });
  const runtime = createRuntime({
    ...shared,
    traffic: traffic.service,
    launchConfig: (instance) => releases.launchConfigFor(instance),
    logs: telemetry.logsTraces,
    assertApp,
  });
  const releases = createReleases({
    ...shared,
    manifests,
    supervisor: runtime.supervisor,
    traffic: traffic.service,
    windows: (env, app) => (numbers, since) => traffic.stats.releaseWindows(env, app, numbers, since),
    otelEnv: (env, app, release) => telemetry.logsTraces.otelEnv(env, app, release),
  });
  const platform = createPlatformStatus({
    manifests,
    releases: releases.store,
    rollouts: releases.rollouts,
    supervisor: runtime.supervisor,
    edge: traffic.edge,
    dataDir,
    version: rampartVersion,
    startedAt,
    shutdown: (stopApps) => void stop(stopApps),
    stopEnvironment: (env, actor) =>
      stopEnvironment(
        {
          manifest: () => manifests.current,
          instances: () => runtime.supervisor.list(),
          drainAndStop: (id, reason) => runtime.supervisor.drainAndStop(id, reason),
          activeRollouts: () => releases.rollouts.active(),
          append: (event) => events.log.append(event),
        },
        env,
        actor,
      ),
  });
  const incidents = createIncidents({ ...shared, envs: () => Object.keys(manifests.current.environments) });
  // Started in this order (the edge keeps serving, instances are re-adopted, then the table is pushed), stopped in reverse.
  const modules: Module[] = [events, telemetry, flags, traffic, runtime, releases, platform, incidents];
  let api: FastifyInstance | undefined;
  const { stop, stopped } = once(async (stopApps: boolean) => {
    await recordStopping(events.log, stopApps);
    await api?.close();
    if (stopApps) {
      await runtime.drainAll("rampart down");
      await traffic.edge.stopEdge();
    }
    for (const module of [...modules].reverse()) await module.stop?.();
    await database.close();
    releaseLock(unlock);
  });

  let served: Awaited<ReturnType<typeof serveApi>>;
  try {
    for (const module of modules) await module.start?.();
    for (const module of modules) await module.run?.();
    served = await serveApi(modules, { dataDir, host: options.apiHost, port: options.apiPort });
  } catch (error) {
    // Nothing keeps running for a platform that did not start: loops stopped, database closed, lock released.
    await stop(false).catch((stopError: unknown) => logger.warn({ err: stopError }, "could not stop after a failed start"));
    throw error;
  }
  api = served.api;
  telemetry.setApi(options.apiHost, served.port);
  const { credentials } = served;
  await events.log.append({
    type: "platform.started",
    message: `control plane up (pid ${process.pid}), API ${credentials.api}`,
    data: { pid: process.pid, api: credentials.api, version: rampartVersion },
  });
  const leftovers = () => findLeftovers(manifests.current, runtime.supervisor.list());
  return {
    credentials,
    status: platform.status,
    stopped,
    stop,
    leftovers,
    stopLeftovers: (actor) =>
      stopLeftovers(
        {
          leftovers,
          drainAndStop: (id, reason) => runtime.supervisor.drainAndStop(id, reason),
          append: (event) => events.log.append(event),
        },
        actor,
      ),
  };
}

/** Runs the stop once, however often it is asked for; `stopped` resolves when it is done. */
function once(work: (stopApps: boolean) => Promise<void>): { stop(stopApps: boolean): Promise<void>; stopped: Promise<void> } {
  let stopping: Promise<void> | null = null;
  let resolveStopped: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => (resolveStopped = resolve));
  return { stopped, stop: (stopApps) => (stopping ??= work(stopApps).then(resolveStopped)) };
}

async function recordStopping(events: EventLog, stopApps: boolean): Promise<void> {
  // A full or read-only data dir must not keep the control plane from stopping: the event is best effort.
  await events
    .append({
      type: "platform.stopping",
      message: stopApps
        ? "rampart down: draining every instance and stopping the edge"
        : "control plane stopping; the edge and instances keep serving",
      data: { stopApps },
    })
    .catch((error: unknown) => logger.warn({ err: error }, "could not record platform.stopping"));
}

function releaseLock(unlock: () => void): void {
  try {
    unlock();
  } catch (error) {
    // The lock names this pid, which is about to exit: the next `rampart up` sees it as stale.
    logger.warn({ err: error }, "could not release the data dir lock");
  }
}
