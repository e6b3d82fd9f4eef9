import type { ManifestSource } from "../config/manifest-source.ts";
import type { Db } from "../db/database.ts";
import type { EventLog } from "../events/event-log.ts";
import type { Module } from "../platform/module.ts";
import type { InstanceSupervisor } from "../runtime/instance-supervisor.ts";
import type { InstanceRecord } from "../runtime/instance.types.ts";
import type { LaunchConfig } from "../runtime/launch-config.ts";
import type { TimerClock } from "../shared/clock.ts";
import type { TrafficService } from "../traffic/traffic.service.ts";
import { ArtifactService } from "./artifact.service.ts";
import { ArtifactStore } from "./artifact.store.ts";
import { reconcileLive } from "./live-reconcile.ts";
import { releaseRoutes } from "./release.routes.ts";
import { ReleaseService, type ReleaseServiceDeps } from "./release.service.ts";
import { ReleaseStore } from "./release.store.ts";
import type { ReleaseRecord } from "./release.types.ts";
import type { ReleaseWindows } from "./rollout-canary.ts";
import { RolloutEngine } from "./rollout-engine.ts";
import { rolloutRoutes } from "./rollout.routes.ts";
import { RolloutService } from "./rollout.service.ts";
import { RolloutStore } from "./rollout.store.ts";
import { SourceUploads } from "./source-upload.ts";
import { sourceUploadProtocol } from "./source-upload.protocol.ts";

export interface ReleasesDeps {
  db: Db;
  events: EventLog;
  clock: TimerClock;
  dataDir: string;
  manifests: ManifestSource;
  supervisor: InstanceSupervisor;
  traffic: Pick<TrafficService, "set" | "isRoutable">;
  /** Requests per release since a time (the edge's measurements), for canary analysis. */
  windows(env: string, app: string): ReleaseWindows;
  /** OTEL_* variables Rampart injects into an instance of this release. */
  otelEnv(env: string, app: string, release: number): Record<string, string>;
  /** The secrets capability's names and versions for a new release (src/secrets); none when absent. */
  secrets?: ReleaseServiceDeps["secrets"];
  /** Readiness's gate on an app's first release in a protected environment (src/readiness). */
  gate?: ReleaseServiceDeps["gate"];
}

export interface Releases extends Module {
  store: ReleaseStore;
  rollouts: RolloutStore;
  artifacts: ArtifactService;
  engine: RolloutEngine;
  service: ReleaseService;
  /** `rampart rollout`: status and control (pause, resume, promote, abort) of the rollout in progress. */
  rollout: RolloutService;
  /** How an instance of a release is started (its artifact, command, environment, health check, drain). */
  launchConfigOf(release: ReleaseRecord): LaunchConfig;
  /** The same for an instance record (re-adoption, restarts); throws for an instance of an unknown release. */
  launchConfigFor(instance: InstanceRecord): Promise<LaunchConfig>;
}

/** Artifacts, releases and rollouts: deploy, promote, rollback, the rollout engine and their routes. */
export function createReleases(deps: ReleasesDeps): Releases {
  const store = new ReleaseStore(deps.db);
  const rollouts = new RolloutStore(deps.db);
  const { events, clock, manifests, supervisor } = deps;
  const artifacts = new ArtifactService({
    artifacts: new ArtifactStore(deps.db),
    releases: store,
    events,
    clock,
    dataDir: deps.dataDir,
    retention: 10,
    buildTimeoutMs: 15 * 60_000,
  });
  const launchConfigOf = (release: ReleaseRecord): LaunchConfig => ({
    cwd: artifacts.srcDir(release.artifactDigest),
    command: release.config.run,
    // The app's own OTEL_* settings in the manifest win over the injected ones.
    env: { ...deps.otelEnv(release.env, release.app, release.number), ...release.config.env },
    health: release.config.health,
    drainMs: release.config.drainMs,
    // Names and versions; the supervisor decrypts them at each start (a rollback brings back the older versions).
    ...(release.config.secretVersions &&
      Object.keys(release.config.secretVersions).length > 0 && {
        secrets: {
          env: release.env,
          app: release.app,
          versions: release.config.secretVersions,
          asFiles: release.config.secretFiles ?? false,
        },
      }),
  });
  const engine = new RolloutEngine({
    releases: store,
    rollouts,
    artifacts,
    supervisor,
    traffic: deps.traffic,
    events,
    clock,
    launchConfig: launchConfigOf,
    windows: deps.windows,
  });
  // Source trees sent by `rampart deploy` from another machine (a laptop, CI), unpacked here before their snapshot.
  const uploads = new SourceUploads({ dataDir: deps.dataDir, clock });
  const service = new ReleaseService({
    manifests,
    releases: store,
    rollouts,
    artifacts,
    engine,
    supervisor,
    events,
    clock,
    uploads,
    secrets: deps.secrets,
    gate: deps.gate,
  });
  const rolloutService = new RolloutService({ manifests, releases: store, rollouts, events, clock });
  return {
    name: "releases",
    store,
    rollouts,
    artifacts,
    engine,
    service,
    rollout: rolloutService,
    routes: [...releaseRoutes(service), ...rolloutRoutes(rolloutService, service)],
    protocols: [sourceUploadProtocol(uploads)],
    launchConfigOf,
    async launchConfigFor(instance) {
      const release = await store.get(instance.env, instance.app, instance.release);
      if (!release) throw new Error(`instance ${instance.id} belongs to an unknown release`);
      return launchConfigOf(release);
    },
    async run() {
      // Live releases whose instances were stopped (`rampart down`) start again; apps mid-rollout are left to it.
      await reconcileLive({
        manifest: () => manifests.current,
        releases: store,
        supervisor,
        traffic: deps.traffic,
        launchConfig: launchConfigOf,
        activeRollouts: () => rollouts.active(),
      });
      // A rollout a previous control plane left mid-way goes on from its persisted step.
      await engine.resumeActive();
    },
  };
}
