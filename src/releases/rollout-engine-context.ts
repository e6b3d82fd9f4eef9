import { checkUnderTraffic, type StrategyContext } from "./rollout-context.ts";
import type { ReleaseRecord } from "./release.types.ts";
import type { RolloutEngineDeps } from "./rollout-engine.ts";
import { advanceRollout, instancesOf, labels, persistRollout, POLL_MS } from "./rollout-engine-records.ts";
import type { RolloutData, RolloutRecord } from "./rollout.types.ts";

/**
 * What a strategy (rolling, blue-green, canary) sees of its rollout: the new and stable instances, routing changes
 * written with the rollout's copy of the split and their events, steps, notes and held steps that watch for aborts.
 */
export function strategyContext(deps: RolloutEngineDeps, initial: RolloutRecord, release: ReleaseRecord): StrategyContext {
  let rollout = initial;
  const stableRelease = initial.fromRelease;
  const ctx: StrategyContext = {
    release,
    rollout: () => rollout,
    reload: async () => (rollout = (await deps.rollouts.get(rollout.id)) ?? rollout),
    fresh: () => instancesOf(deps, release).sort((a, b) => a.slot - b.slot),
    stable: () =>
      deps.supervisor
        .list()
        .filter(
          (i) =>
            i.env === release.env &&
            i.app === release.app &&
            i.release === stableRelease &&
            i.status !== "stopping" &&
            i.status !== "stopped",
        ),
    routable: (instance) => deps.traffic.isRoutable(instance),
    route: async (on, off, data, step) => {
      // The rollout keeps a copy of the canary % for `rollout status`, written with the traffic change.
      const patch = (data && changesData(rollout.data, data)) || step ? { ...data, ...(step ? { message: step.message } : {}) } : undefined;
      const weights = data && "canaryPercent" in data ? canaryWeights(release.number, stableRelease, data.canaryPercent) : undefined;
      const updatedAt = deps.clock.now();
      let merged: RolloutData | undefined;
      await deps.traffic.set(
        release.env,
        release.app,
        { add: on.map((i) => i.id), remove: off.map((i) => i.id), weights },
        {
          reason: rollout.data.message ?? `rollout of release ${release.number}`,
          release: release.number,
          also: patch
            ? async (trx, emit, trafficChanged) => {
                merged = await deps.rollouts.update(trx, rollout.id, { updatedAt, step: step?.step, data: patch });
                // A step is an event; so is a progress write whose traffic was already in place (a resumed step).
                if (step || !trafficChanged) {
                  await emit({
                    ...labels(rollout),
                    type: "rollout.step",
                    message: step?.message ?? rollout.data.message ?? `rollout of release ${release.number}`,
                    data: {
                      state: rollout.state,
                      step: step?.step ?? rollout.step,
                      canaryPercent: merged.canaryPercent ?? null,
                      verdict: data?.verdict ?? null,
                    },
                  });
                }
              }
            : undefined,
        },
      );
      if (merged) rollout = { ...rollout, updatedAt, step: step?.step ?? rollout.step, data: merged };
    },
    advance: async (step, message, data) => {
      rollout = await advanceRollout(deps, rollout, "shifting", step, message, false, data);
    },
    note: async (message, data) => {
      rollout = await persistRollout(deps, rollout, rollout.state, rollout.step, message, data ?? {});
    },
    hold: async (ms) => {
      const until = deps.clock.now() + ms;
      while (deps.clock.now() < until) {
        await ctx.reload();
        checkUnderTraffic(ctx);
        if (rollout.data.promoteRequestedBy) return;
        await deps.clock.sleep(POLL_MS);
      }
    },
    now: () => deps.clock.now(),
    sleep: (ms) => deps.clock.sleep(ms),
  };
  return ctx;
}

/** A canary's split as release weights (percent of the traffic); undefined percent clears the split. */
function canaryWeights(release: number, stable: number | null, percent: number | undefined): Record<string, number> | null {
  if (percent === undefined || stable === null) return null;
  return { [release]: percent, [stable]: 100 - percent };
}

function changesData(current: RolloutData, patch: Partial<RolloutData>): boolean {
  const now: Record<string, unknown> = { ...current };
  return Object.entries(patch).some(([key, value]) => JSON.stringify(now[key]) !== JSON.stringify(value));
}
