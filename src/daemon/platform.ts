import { mkdirSync } from "node:fs";
import { resolve } from "node:path";
import type { FastifyInstance } from "fastify";
import { buildApiServer } from "../api/api-server.ts";
import { ManifestSource } from "../config/manifest-source.ts";
import { openDatabase, type OpenedDatabase } from "../db/database.ts";
import { KvStore } from "../db/kv.store.ts";
import { EdgeController } from "../edge/edge-controller.ts";
import { RequestStatsStore } from "../edge/request-stats.store.ts";
import { buildRoutingTable, type AppRouting } from "../edge/routing-table.builder.ts";
import { EventLog } from "../events/event-log.ts";
import { createFlags } from "../flags/flags.module.ts";
import { eventRoutes, eventStreams } from "../events/event.routes.ts";
import { platformRoutes } from "../platform/platform.routes.ts";
import { StatusService } from "../platform/status.service.ts";
import { ArtifactService } from "../releases/artifact.service.ts";
import { ArtifactStore } from "../releases/artifact.store.ts";
import { releaseRoutes } from "../releases/release.routes.ts";
import { ReleaseService } from "../releases/release.service.ts";
import { ReleaseStore } from "../releases/release.store.ts";
import type { ReleaseRecord } from "../releases/release.types.ts";
import { RolloutEngine } from "../releases/rollout-engine.ts";
import { RolloutStore } from "../releases/rollout.store.ts";
import { rolloutRoutes } from "../releases/rollout.routes.ts";
import { RolloutService } from "../releases/rollout.service.ts";
import { SourceUploads } from "../releases/source-upload.ts";
import { sourceUploadProtocol } from "../releases/source-upload.protocol.ts";
import { judgeCanary } from "../releases/canary-judge.ts";
import { InstanceSupervisor } from "../runtime/instance-supervisor.ts";
import { InstanceStore } from "../runtime/instance.store.ts";
import type { LaunchConfig } from "../runtime/launch-config.ts";
import { LocalDriver } from "../runtime/local-driver.ts";
import { logRoutes, logStreams } from "../runtime/log.routes.ts";
import { LogService } from "../runtime/log.service.ts";
import { LogsTraces, otlpBaseUrl } from "../telemetry/log-trace.module.ts";
import { traceRoutes } from "../telemetry/trace.routes.ts";
import { TraceService } from "../telemetry/trace.service.ts";
import { systemClock, type Clock } from "../shared/clock.ts";
import { logger } from "../shared/logger.ts";
import { rampartVersion } from "../shared/version.ts";
import { MetricsModule } from "../telemetry/metrics.module.ts";
import { writeCredentials, type Credentials } from "./credentials.ts";
import { lockDataDir } from "./data-dir-lock.ts";

export interface PlatformOptions {
  configPath: string;
  dataDir: string;
  apiHost: string;
  apiPort: number;
  clock?: Clock;
}

export interface RunningPlatform {
  credentials: Credentials;
  status: StatusService;
  /** Resolves when the platform has stopped (after `stop` or a shutdown request). */
  stopped: Promise<void>;
  /** Leaves the edge and instances serving unless `stopApps`. */
  stop(stopApps: boolean): Promise<void>;
}

const STATS_RETENTION_MS = 7 * 24 * 3600_000;

/** The one composition root: every store, service and route of the control plane is wired here. */
export async function startPlatform(options: PlatformOptions): Promise<RunningPlatform> {
  const clock = options.clock ?? systemClock;
  const dataDir = resolve(options.dataDir);
  // The manifest is validated before anything starts or changes.
  const manifests = new ManifestSource(resolve(options.configPath));
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const unlock = lockDataDir(dataDir);
  const database: OpenedDatabase = await openDatabase(dataDir);
  const { db } = database;
  const startedAt = clock.now();
  // Logs and traces: the index tails instance logs, spans come from the edge and OTLP (own files under telemetry/).
  const logsTraces = new LogsTraces({ dataDir, clock });
  // A fixed API port is known now, so instances started before the API listens get the OTLP endpoint too.
  if (options.apiPort !== 0) logsTraces.setApiBase(otlpBaseUrl(options.apiHost, options.apiPort));

  const events = new EventLog(db, clock);
  // Feature flags: targeting per environment, SDK endpoints and OFREP, guarded rollouts fed by the edge (src/flags).
  const flags = createFlags({ db, events, clock, manifests });
  const releaseStore = new ReleaseStore(db);
  const rolloutStore = new RolloutStore(db);
  const instanceStore = new InstanceStore(db);
  const statsStore = new RequestStatsStore(db);
  const artifacts = new ArtifactService({
    artifacts: new ArtifactStore(db),
    releases: releaseStore,
    events,
    clock,
    dataDir,
    retention: 10,
    buildTimeoutMs: 15 * 60_000,
  });

  const launchConfigOf = (release: ReleaseRecord): LaunchConfig => ({
    cwd: artifacts.srcDir(release.artifactDigest),
    command: release.config.run,
    // The app's own OTEL_* settings in the manifest win over the injected ones.
    env: { ...logsTraces.otelEnv(release.env, release.app, release.number), ...release.config.env },
    health: release.config.health,
    drainMs: release.config.drainMs,
  });

  let supervisor: InstanceSupervisor;
  // Metrics: the edge's per-second collections, runtime samples, app scrapes and OTLP into one store (telemetry/metrics*).
  const metrics = new MetricsModule({
    db,
    dataDir,
    clock,
    startedAt,
    instances: () => supervisor.list(),
    scrapeTargetOf: async (instance) => (await releaseStore.get(instance.env, instance.app, instance.release))?.config.metrics ?? null,
    assertApp: (env, app) => manifests.assertApp(env, app),
  });
  const edge = new EdgeController({
    dataDir,
    events,
    kv: new KvStore(db),
    stats: statsStore,
    sinks: [logsTraces.edgeSink, metrics.edgeSink, flags.engine],
    buildTable: async (version) => {
      const manifest = manifests.current;
      const instances = supervisor.list();
      const apps: AppRouting[] = [];
      for (const env of Object.keys(manifest.environments)) {
        for (const app of Object.keys(manifest.apps)) {
          // Routes come from the newest release taking traffic, so a deploy that changes routes moves them with it.
          const serving = instances.filter((i) => i.env === env && i.app === app && i.routable).map((i) => i.release);
          const release =
            serving.length > 0 ? await releaseStore.get(env, app, Math.max(...serving)) : await releaseStore.findByStatus(env, app, "live");
          const config = release?.config ?? manifests.resolve(manifest, app, env);
          apps.push({
            env,
            app,
            routes: config.routes,
            hosts: config.hosts,
            timeoutMs: config.timeoutMs,
            drainMs: config.drainMs,
            limits: config.limits,
            sticky: config.sticky,
          });
        }
      }
      // A canary in progress splits its app's traffic by percentage instead of by instance count.
      const splits = (await rolloutStore.active())
        .filter((r) => r.data.canaryPercent !== undefined && r.fromRelease !== null)
        .map((r) => ({
          env: r.env,
          app: r.app,
          weights: { [r.release]: r.data.canaryPercent ?? 0, [r.fromRelease ?? 0]: 100 - (r.data.canaryPercent ?? 0) },
        }));
      return buildRoutingTable({ version, environments: manifest.environments, apps, instances, splits });
    },
  });

  supervisor = new InstanceSupervisor({
    store: instanceStore,
    events,
    driver: new LocalDriver(),
    clock,
    dataDir,
    traffic: edge,
    launchConfig: async (instance) => {
      const release = await releaseStore.get(instance.env, instance.app, instance.release);
      if (!release) throw new Error(`instance ${instance.id} belongs to an unknown release`);
      return launchConfigOf(release);
    },
  });
  const engine = new RolloutEngine({
    releases: releaseStore,
    rollouts: rolloutStore,
    artifacts,
    supervisor,
    traffic: edge,
    events,
    clock,
    launchConfig: launchConfigOf,
    judge: judgeCanary,
    windows: (env, app) => (releases, since) => statsStore.releaseWindows(env, app, releases, since),
  });
  const uploads = new SourceUploads({ dataDir, clock });
  const releases = new ReleaseService({
    uploads,
    manifests,
    releases: releaseStore,
    rollouts: rolloutStore,
    artifacts,
    engine,
    supervisor,
    events,
    clock,
  });
  const rollouts = new RolloutService({ manifests, releases: releaseStore, rollouts: rolloutStore, events, clock });
  const status = new StatusService({
    manifests,
    releases: releaseStore,
    rollouts: rolloutStore,
    supervisor,
    edge,
    dataDir,
    version: rampartVersion,
    startedAt,
  });
  const logs = new LogService(logsTraces.index, logsTraces.hub, (env, app) => manifests.assertApp(env, app));
  const traces = new TraceService(logsTraces.traces, (env, app) => manifests.assertApp(env, app));
  logsTraces.start();

  // Data plane first: the edge keeps (or resumes) serving, instances are re-adopted, then the table is pushed.
  await edge.start();
  await supervisor.adoptAll();
  await edge.applyRouting();
  supervisor.start();
  edge.startPolling();
  metrics.start();
  await engine.resumeActive();
  flags.engine.start();

  let resolveStopped: () => void = () => undefined;
  const stopped = new Promise<void>((r) => (resolveStopped = r));
  let stopping: Promise<void> | null = null;
  let api: FastifyInstance | null = null;
  const maintenance = setInterval(() => void statsStore.deleteBefore(clock.now() - STATS_RETENTION_MS), 3600_000);

  const stop = (stopApps: boolean): Promise<void> =>
    (stopping ??= (async () => {
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
      await api?.close();
      clearInterval(maintenance);
      await metrics.stop();
      await flags.engine.stop();
      if (stopApps) {
        await Promise.all(supervisor.list().map((i) => supervisor.drainAndStop(i.id, "rampart down")));
        await edge.stopEdge();
      }
      supervisor.stop();
      edge.stopPolling();
      logsTraces.stop();
      await database.close();
      try {
        unlock();
      } catch (error) {
        // The lock names this pid, which is about to exit: the next `rampart up` sees it as stale.
        logger.warn({ err: error }, "could not release the data dir lock");
      }
      resolveStopped();
    })());

  api = buildApiServer({
    routes: [
      ...platformRoutes(status, (stopApps) => void stop(stopApps), rampartVersion),
      ...releaseRoutes(releases),
      ...rolloutRoutes(rollouts, releases),
      ...eventRoutes(events),
      ...logRoutes(logs),
      ...traceRoutes(traces),
      ...metrics.routes,
      ...flags.routes,
    ],
    streams: [...eventStreams(events), ...logStreams(logs)],
    protocols: [logsTraces.protocol(), ...metrics.protocols, flags.protocol, sourceUploadProtocol(uploads)],
    token: readOrCreateToken(dataDir),
    version: rampartVersion,
    dataDir,
  });
  await api.listen({ host: options.apiHost, port: options.apiPort });
  const address = api.server.address();
  const port = typeof address === "object" && address ? address.port : options.apiPort;
  logsTraces.setApiBase(otlpBaseUrl(options.apiHost, port));
  const credentials = writeCredentials(
    dataDir,
    `http://${options.apiHost.includes(":") ? `[${options.apiHost}]` : options.apiHost}:${port}`,
    process.pid,
  );
  await events.append({
    type: "platform.started",
    message: `control plane up (pid ${process.pid}), API ${credentials.api}`,
    data: { pid: process.pid, api: credentials.api, version: rampartVersion },
  });
  return { credentials, status, stopped, stop };
}

function readOrCreateToken(dataDir: string): string {
  // writeCredentials keeps an existing token; write once with a placeholder address to learn it early.
  return writeCredentials(dataDir, "http://starting", process.pid).token;
}
