import type { ManifestSource } from "../config/manifest-source.ts";
import type { Db } from "../db/database.ts";
import type { EventLog } from "../events/event-log.ts";
import { runOpenLoop } from "../loadtest/open-loop.ts";
import { environmentUrl } from "../platform/environment-url.ts";
import type { ReleaseService } from "../releases/release.service.ts";
import type { ReleaseStore } from "../releases/release.store.ts";
import type { InstanceRecord } from "../runtime/instance.types.ts";
import type { TimerClock } from "../shared/clock.ts";
import type { TrafficState } from "../traffic/traffic.types.ts";
import { createRollbackDrills, type RollbackDrills } from "./rollback-drill.module.ts";

/** What the composition root hands the drills: the release service, the traffic state, the instances. */
export function wireRollbackDrills(deps: {
  db: Db;
  events: EventLog;
  clock: TimerClock;
  manifests: ManifestSource;
  releases: () => { service: ReleaseService; store: ReleaseStore };
  traffic: (env: string, app: string) => TrafficState;
  instances: () => InstanceRecord[];
}): RollbackDrills {
  const { manifests } = deps;
  return createRollbackDrills({
    db: deps.db,
    events: deps.events,
    clock: deps.clock,
    isProtected: (env) => manifests.current.environments[env]?.protected ?? false,
    assertApp: (env, app) => manifests.assertApp(env, app),
    assertIdle: (env, app) => deps.releases().service.assertIdle(env, app),
    liveRelease: async (env, app) => (await deps.releases().store.findByStatus(env, app, "live"))?.number ?? null,
    target: async (env, app) => {
      const environment = manifests.current.environments[env];
      if (!environment) throw new Error(`environment ${env} is not in rampart.yaml`);
      // The live release's first route: a prefix is a path the app answers.
      const live = await deps.releases().store.findByStatus(env, app, "live");
      return new URL(live?.config.routes[0] ?? "/", environmentUrl(environment)).toString();
    },
    schedule: () => manifests.current.drills,
    apps: () => Object.keys(manifests.current.apps),
    runner: {
      redeploy: (env, app, actor) => deps.releases().service.reconfigure(env, app, actor, "rollback drill: the live release again"),
      rollback: (env, app, actor) => deps.releases().service.rollback(env, app, {}, actor),
      release: (env, app, number) => deps.releases().service.get(env, app, number),
      routedReleases: (env, app) => routedReleases(deps.traffic(env, app), deps.instances()),
      load: runOpenLoop,
    },
  });
}

/** Releases the edge sends the app's requests to: healthy instances in rotation, of releases weighing more than 0. */
export function routedReleases(
  state: TrafficState,
  instances: Pick<InstanceRecord, "id" | "env" | "app" | "release" | "status">[],
): number[] {
  const routable = new Set(state.routable);
  const releases = new Set(
    instances
      .filter((i) => routable.has(i.id) && i.env === state.env && i.app === state.app && i.status === "healthy")
      .map((i) => i.release),
  );
  if (state.weights) for (const r of [...releases]) if ((state.weights[String(r)] ?? 0) <= 0) releases.delete(r);
  return [...releases].sort((a, b) => a - b);
}
