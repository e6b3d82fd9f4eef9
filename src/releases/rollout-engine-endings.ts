import type { Db } from "../db/database.ts";
import type { Emit } from "../events/event-log.ts";
import type { InstanceRecord } from "../runtime/instance.types.ts";
import type { TrafficSetOptions } from "../traffic/traffic.service.ts";
import type { ReleaseRecord } from "./release.types.ts";
import type { RolloutRollback } from "./rollout-context.ts";
import type { RolloutEngineDeps } from "./rollout-engine.ts";
import { instancesOf, labels, mustGetRelease } from "./rollout-engine-records.ts";
import type { RolloutRecord } from "./rollout.types.ts";

/**
 * How a rollout ends other than live: failed before traffic moved, rolled back after, or (blue-green) switched
 * back to the release kept warm. Each puts traffic back on the stable release first, then stops the new instances.
 */

/** Blue-green's warm rollback: the old release takes all traffic again at once and the new one is drained. */
export async function switchBackToWarm(deps: RolloutEngineDeps, rollout: RolloutRecord, actor: string): Promise<void> {
  const current = await mustGetRelease(deps, rollout.env, rollout.app, rollout.release);
  const previous = rollout.fromRelease === null ? undefined : await deps.releases.get(rollout.env, rollout.app, rollout.fromRelease);
  if (!previous) throw new Error(`release ${rollout.fromRelease} is gone`);
  const warm = instancesOf(deps, previous).filter((i) => i.status === "healthy");
  const now = deps.clock.now();
  const change = { add: warm.map((i) => i.id), remove: instancesOf(deps, current).map((i) => i.id), weights: null };
  const reason = `rollback by ${actor}: warm release ${previous.number} takes all traffic`;
  await deps.traffic.set(current.env, current.app, change, {
    reason,
    actor,
    release: current.number,
    also: async (trx, emit) => {
      await deps.releases.setStatus(trx, current.env, current.app, current.number, {
        status: "rolled_back",
        reason: `rolled back by ${actor} to the warm release ${previous.number}`,
        finishedAt: now,
      });
      await deps.releases.setStatus(trx, previous.env, previous.app, previous.number, {
        status: "live",
        liveAt: now,
        reason: null,
        finishedAt: null,
      });
      await deps.rollouts.update(trx, rollout.id, {
        state: "draining",
        updatedAt: now,
        data: { outcome: "rolled_back", message: `rolled back to warm release ${previous.number}` },
      });
      await emit({
        ...labels(rollout),
        actor,
        type: "release.rolled_back",
        message: `release ${current.number} rolled back: release ${previous.number} (still warm) took all traffic at once`,
      });
      await emit({
        ...labels(rollout),
        release: previous.number,
        actor,
        type: "release.live",
        message: `release ${previous.number} of ${previous.app} is live again in ${previous.env}`,
      });
    },
  });
}

/** Before traffic moved: restore routing, stop the new instances, mark the release failed. */
export async function failRollout(deps: RolloutEngineDeps, rollout: RolloutRecord, release: ReleaseRecord, reason: string): Promise<void> {
  const fresh = instancesOf(deps, release);
  await restoreStable(deps, release, fresh);
  // Settled before it is reported: when `deploy --wait` returns, the failed instances are gone.
  await Promise.all(fresh.map((i) => deps.supervisor.drainAndStop(i.id, `release ${release.number} failed`)));
  const now = deps.clock.now();
  const previous = await deps.releases.findByStatus(release.env, release.app, "live");
  await deps.events.transact(async (trx, emit) => {
    await deps.releases.setStatus(trx, release.env, release.app, release.number, { status: "failed", reason, finishedAt: now });
    await deps.rollouts.update(trx, rollout.id, {
      state: "failed",
      updatedAt: now,
      finishedAt: now,
      data: { message: reason, outcome: "failed" },
    });
    await emit({ ...labels(rollout), type: "release.failed", message: `release ${release.number} failed: ${reason}`, data: { reason } });
    await emit({
      ...labels(rollout),
      type: "rollout.failed",
      message: `rollout of release ${release.number} failed at ${rollout.state}; ${previous ? `release ${previous.number} keeps serving` : "nothing was serving before"}`,
      data: { state: rollout.state, step: rollout.step },
    });
  });
}

/** After traffic moved: all traffic back on the stable release at once, then drain the new one; the release is rolled back. */
export async function rollBackRollout(
  deps: RolloutEngineDeps,
  rollout: RolloutRecord,
  release: ReleaseRecord,
  cause: RolloutRollback,
): Promise<void> {
  const fresh = instancesOf(deps, release);
  const current = (await deps.rollouts.get(rollout.id)) ?? rollout;
  const backAt = current.data.rolledBackAt ?? deps.clock.now();
  // Traffic back on stable, the rollback's cause and its event in one transaction (once, also across restarts).
  if (!current.data.rollingBack) {
    await restoreStable(deps, release, fresh, async (trx, emit) => {
      await deps.rollouts.update(trx, rollout.id, {
        updatedAt: backAt,
        data: {
          canaryPercent: undefined,
          rolledBackAt: backAt,
          rollingBack: { reason: cause.message, by: cause.by, verdict: cause.verdict },
        },
      });
      await emit({
        ...labels(rollout),
        actor: cause.by,
        type: "rollout.rolled_back",
        message: `all traffic back on the stable release: ${cause.message}`,
        data: { verdict: cause.verdict ?? null, step: current.step, canaryPercent: current.data.canaryPercent ?? null },
      });
    });
  }
  await Promise.all(fresh.map((i) => deps.supervisor.drainAndStop(i.id, `release ${release.number} rolled back`)));
  const now = deps.clock.now();
  await deps.events.transact(async (trx, emit) => {
    await deps.releases.setStatus(trx, release.env, release.app, release.number, {
      status: "rolled_back",
      reason: cause.message,
      finishedAt: now,
    });
    await deps.rollouts.update(trx, rollout.id, {
      state: "failed",
      updatedAt: now,
      finishedAt: now,
      data: {
        canaryPercent: undefined,
        message: cause.message,
        outcome: "rolled_back",
        verdict: cause.verdict ?? current.data.verdict,
        rolledBackAt: backAt,
      },
    });
    await emit({
      ...labels(rollout),
      actor: cause.by,
      type: "release.rolled_back",
      message: `release ${release.number} rolled back: ${cause.message}`,
      data: { reason: cause.message, verdict: cause.verdict ?? null },
    });
  });
}

export async function restoreStable(
  deps: RolloutEngineDeps,
  release: ReleaseRecord,
  fresh: InstanceRecord[],
  rollingBack?: TrafficSetOptions["also"],
): Promise<void> {
  const previous = await deps.releases.findByStatus(release.env, release.app, "live");
  const restore = previous ? instancesOf(deps, previous).filter((i) => i.status !== "stopping") : [];
  const rollout = await deps.rollouts.forRelease(release.env, release.app, release.number);
  const change = { add: restore.map((i) => i.id), remove: fresh.map((i) => i.id), weights: null };
  // The rollout's copy of the canary % (what `rollout status` reports) goes in the same transaction.
  const also =
    rollingBack ??
    (rollout?.data.canaryPercent === undefined
      ? undefined
      : async (trx: Db, emit: Emit, trafficChanged: boolean) => {
          await deps.rollouts.update(trx, rollout.id, { updatedAt: deps.clock.now(), data: { canaryPercent: undefined } });
          // Traffic already back (a resumed rollback): the rollout's copy of the % still changes, so an event says so.
          if (!trafficChanged)
            await emit({
              ...labels(rollout),
              type: "rollout.step",
              message: "canary split cleared",
              data: { state: rollout.state, step: rollout.step },
            });
        });
  await deps.traffic.set(release.env, release.app, change, {
    reason: `all traffic back on ${previous ? `release ${previous.number}` : "the stable release"}`,
    release: release.number,
    also,
  });
}
