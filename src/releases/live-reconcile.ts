import type { InstanceSupervisor } from "../runtime/instance-supervisor.ts";
import type { LaunchConfig } from "../runtime/launch-config.ts";
import { errorMessage } from "../shared/errors.ts";
import { logger } from "../shared/logger.ts";
import type { TrafficService } from "../traffic/traffic.service.ts";
import type { ReleaseStore } from "./release.store.ts";
import type { ReleaseRecord } from "./release.types.ts";
import { blocksDeploys, type RolloutState } from "./rollout.types.ts";

export interface LiveReconcileDeps {
  /** The manifest's environments and apps (only their names are read). */
  manifest(): { environments: object; apps: object };
  releases: Pick<ReleaseStore, "findByStatus">;
  supervisor: Pick<InstanceSupervisor, "launch" | "list">;
  traffic: Pick<TrafficService, "set">;
  launchConfig(release: ReleaseRecord): LaunchConfig;
  /** Rollouts not finished yet; those still starting or moving traffic start their instances themselves. */
  activeRollouts(): Promise<{ env: string; app: string; state: RolloutState }[]>;
}

export interface Reconciled {
  env: string;
  app: string;
  release: number;
  started: string[];
}

/**
 * What is live comes back by itself: after `rampart down` (every instance stopped) or a reboot the store still
 * says which release is live, so each live release with fewer instances than its config asks for gets the
 * missing slots started (the rollout engine's launch) and put back in rotation through the traffic service,
 * which routes them once healthy (apps whose rollout is still starting or moving traffic are left to it).
 * Instances that died with the machine are not missing: the supervisor restarts them (re-adoption). A release
 * that fails to start is logged and left for the next `up` or deploy.
 */
export async function reconcileLive(deps: LiveReconcileDeps): Promise<Reconciled[]> {
  const manifest = deps.manifest();
  // A rollout that is warm or draining has its release live already: that release's instances are reconciled.
  const rolling = new Set((await deps.activeRollouts()).filter((r) => blocksDeploys(r.state)).map((r) => `${r.env}\u0000${r.app}`));
  const pairs = Object.keys(manifest.environments).flatMap((env) => Object.keys(manifest.apps).map((app) => ({ env, app })));
  // All at once: each start waits for its runner, and the time until every environment serves is what counts.
  const results = await Promise.all(
    pairs
      .filter(({ env, app }) => !rolling.has(`${env}\u0000${app}`))
      .map(async ({ env, app }): Promise<Reconciled | undefined> => {
        const live = await deps.releases.findByStatus(env, app, "live");
        if (!live) return undefined;
        try {
          const started = await startMissing(deps, live);
          return started.length > 0 ? { env, app, release: live.number, started } : undefined;
        } catch (error) {
          logger.error({ err: error, env, app, release: live.number }, `could not start live release again: ${errorMessage(error)}`);
          return undefined;
        }
      }),
  );
  return results.filter((r) => r !== undefined);
}

async function startMissing(deps: LiveReconcileDeps, release: ReleaseRecord): Promise<string[]> {
  const running = new Set(
    deps.supervisor
      .list()
      .filter((i) => i.env === release.env && i.app === release.app && i.release === release.number && i.status !== "stopped")
      .map((i) => i.slot),
  );
  const missing: number[] = [];
  for (let slot = 1; slot <= release.config.instances; slot++) if (!running.has(slot)) missing.push(slot);
  if (missing.length === 0) return [];
  const launch = deps.launchConfig(release);
  const started = (
    await Promise.all(
      missing.map((slot) => deps.supervisor.launch({ env: release.env, app: release.app, release: release.number, slot }, launch)),
    )
  ).map((instance) => instance.id);
  await deps.traffic.set(
    release.env,
    release.app,
    { add: started },
    {
      reason: `release ${release.number} is live: ${started.length} of ${release.config.instances} instance(s) started again at rampart up`,
      release: release.number,
    },
  );
  return started;
}
