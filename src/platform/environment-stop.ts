import type { Manifest } from "../config/resolved-manifest.schema.ts";
import type { NewEvent } from "../events/event.types.ts";
import type { InstanceRecord } from "../runtime/instance.types.ts";
import { conflict, RampartError } from "../shared/errors.ts";

export interface EnvironmentStopDeps {
  manifest: () => Pick<Manifest, "environments" | "path">;
  instances: () => InstanceRecord[];
  drainAndStop: (id: string, reason: string) => Promise<void>;
  activeRollouts: () => Promise<{ env: string; app: string; release: number }[]>;
  append: (event: NewEvent) => Promise<unknown>;
}

export interface EnvironmentStopped {
  env: string;
  stopped: string[];
}

/**
 * `rampart down --env ENV`: drains and stops that environment's instances; the edge, the control plane and the
 * other environments keep serving. Refused while a rollout runs there: it would start instances again.
 */
export async function stopEnvironment(deps: EnvironmentStopDeps, env: string, actor: string): Promise<EnvironmentStopped> {
  const manifest = deps.manifest();
  if (!Object.hasOwn(manifest.environments, env)) {
    throw new RampartError("unknown_environment", `environment "${env}" is not in ${manifest.path}`, {
      hint: `environments: ${Object.keys(manifest.environments).join(", ")}`,
    });
  }
  const rolling = (await deps.activeRollouts()).find((r) => r.env === env);
  if (rolling) {
    throw conflict(
      "rollout_in_progress",
      `release ${rolling.release} of ${rolling.app} is rolling out in ${env}: stopping its instances now would fight it`,
      `wait for it (rampart rollout ${rolling.app} --env ${env}) or abort it (rampart rollout ${rolling.app} --env ${env} abort), then run rampart down --env ${env} again`,
    );
  }
  const ids = deps
    .instances()
    .filter((i) => i.env === env && i.status !== "stopped")
    .map((i) => i.id);
  await deps.append({
    type: "environment.stopping",
    env,
    actor,
    message: `rampart down --env ${env}: draining and stopping ${ids.length} instance(s); the other environments keep serving`,
    data: { instances: ids },
  });
  await Promise.all(ids.map((id) => deps.drainAndStop(id, `rampart down --env ${env}`)));
  return { env, stopped: ids };
}
