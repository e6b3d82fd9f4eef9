import type { NewEvent } from "../events/event.types.ts";
import type { InstanceRecord } from "../runtime/instance.types.ts";

/** What still runs for an environment or app that is no longer in rampart.yaml. */
export interface Leftover {
  env: string;
  app: string;
  /** Why it is left over: the environment or the app was removed from the manifest. */
  removed: "environment" | "app";
  instances: InstanceRecord[];
}

/**
 * Instances of environments or apps removed from rampart.yaml: the edge no longer routes to them and status
 * lists environments and apps from the manifest, so without this they would run on unseen.
 */
export function findLeftovers(manifest: { environments: object; apps: object }, instances: InstanceRecord[]): Leftover[] {
  const groups = new Map<string, Leftover>();
  for (const instance of instances) {
    if (instance.status === "stopped") continue;
    const envKept = Object.hasOwn(manifest.environments, instance.env);
    if (envKept && Object.hasOwn(manifest.apps, instance.app)) continue;
    const key = `${instance.env}\u0000${instance.app}`;
    const group = groups.get(key) ?? { env: instance.env, app: instance.app, removed: envKept ? "app" : "environment", instances: [] };
    group.instances.push(instance);
    groups.set(key, group);
  }
  return [...groups.values()].sort((a, b) => a.env.localeCompare(b.env) || a.app.localeCompare(b.app));
}

export function describeLeftover(leftover: Leftover): string {
  const what = leftover.removed === "environment" ? `environment ${leftover.env}` : `app ${leftover.app}`;
  return `${leftover.app} in ${leftover.env} (${what} is not in rampart.yaml): ${leftover.instances.length} instance(s) running: ${leftover.instances.map((i) => i.id).join(", ")}`;
}

export interface LeftoverStopDeps {
  leftovers(): Leftover[];
  drainAndStop(id: string, reason: string): Promise<void>;
  append(event: NewEvent): Promise<unknown>;
}

/** Drains and stops every left-over instance (each with its own events), after one event saying why. */
export async function stopLeftovers(deps: LeftoverStopDeps, actor: string): Promise<string[]> {
  const stopped: string[] = [];
  await Promise.all(
    deps.leftovers().map(async (leftover) => {
      await deps.append({
        type: "environment.stopping",
        env: leftover.env,
        app: leftover.app,
        actor,
        message: `stopping ${describeLeftover(leftover)}`,
        data: { removed: leftover.removed, instances: leftover.instances.map((i) => i.id) },
      });
      const reason = `${leftover.removed} removed from rampart.yaml`;
      await Promise.all(leftover.instances.map((i) => deps.drainAndStop(i.id, reason)));
      stopped.push(...leftover.instances.map((i) => i.id));
    }),
  );
  return stopped.sort();
}
