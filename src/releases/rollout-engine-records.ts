import type { InstanceRecord } from "../runtime/instance.types.ts";
import type { ReleaseRecord } from "./release.types.ts";
import type { RolloutEngineDeps } from "./rollout-engine.ts";
import type { RolloutData, RolloutRecord, RolloutState } from "./rollout.types.ts";

/**
 * The rollout engine's writes of its own record: each state, step and note is stored with its event in one
 * transaction (what a restarted control plane resumes from), and the lookups every part of the engine shares.
 */

/** How often a waiting rollout looks again (instances starting, a held step). */
export const POLL_MS = 100;

export function labels(rollout: RolloutRecord) {
  return { env: rollout.env, app: rollout.app, release: rollout.release };
}

export async function persistRollout(
  deps: Pick<RolloutEngineDeps, "rollouts" | "events" | "clock">,
  rollout: RolloutRecord,
  state: RolloutState,
  step: number,
  message: string,
  data: Partial<RolloutData>,
): Promise<RolloutRecord> {
  const updatedAt = deps.clock.now();
  const merged = await deps.events.transact(async (trx, emit) => {
    const result = await deps.rollouts.update(trx, rollout.id, { state, step, updatedAt, data: { ...data, message } });
    await emit({ ...labels(rollout), type: "rollout.analysis", message, data: { state, step, verdict: data.verdict ?? null } });
    return result;
  });
  return { ...rollout, state, step, updatedAt, data: merged };
}

export async function advanceRollout(
  deps: Pick<RolloutEngineDeps, "rollouts" | "events" | "clock">,
  rollout: RolloutRecord,
  state: RolloutState,
  step: number,
  message: string,
  final = false,
  data: Partial<RolloutData> = {},
): Promise<RolloutRecord> {
  const now = deps.clock.now();
  const merged = await deps.events.transact(async (trx, emit): Promise<RolloutData> => {
    const result = await deps.rollouts.update(trx, rollout.id, {
      state,
      step,
      updatedAt: now,
      finishedAt: final ? now : undefined,
      data: { ...data, message },
    });
    await emit({
      ...labels(rollout),
      type: final ? "rollout.completed" : "rollout.step",
      message,
      data: { state, step, canaryPercent: result.canaryPercent ?? null, verdict: data.verdict ?? null },
    });
    return result;
  });
  return { ...rollout, state, step, updatedAt: now, finishedAt: final ? now : rollout.finishedAt, data: merged };
}

export async function mustGetRelease(
  deps: Pick<RolloutEngineDeps, "releases">,
  env: string,
  app: string,
  number: number,
): Promise<ReleaseRecord> {
  const release = await deps.releases.get(env, app, number);
  if (!release) throw new Error(`release ${number} of ${app} in ${env} is missing`);
  return release;
}

export function instancesOf(deps: Pick<RolloutEngineDeps, "supervisor">, release: ReleaseRecord): InstanceRecord[] {
  return deps.supervisor.list().filter((i) => i.env === release.env && i.app === release.app && i.release === release.number);
}
