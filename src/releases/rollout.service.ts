import type { ManifestSource } from "../config/manifest-source.ts";
import type { EventLog } from "../events/event-log.ts";
import type { Clock } from "../shared/clock.ts";
import { conflict, notFound } from "../shared/errors.ts";
import type { ReleaseStore } from "./release.store.ts";
import type { RolloutStore } from "./rollout.store.ts";
import { blocksDeploys, type RolloutData } from "./rollout.types.ts";
import { toRolloutView, type RolloutAction, type RolloutView } from "./rollout.view.ts";

export interface RolloutServiceDeps {
  manifests: ManifestSource;
  releases: ReleaseStore;
  rollouts: RolloutStore;
  events: EventLog;
  clock: Clock;
}

/**
 * `rampart rollout`: the state of an app's latest rollout, and manual control of one in progress. Controls are
 * flags on the persisted rollout that the engine reads every tick, so they survive a control-plane restart.
 */
export class RolloutService {
  readonly #deps: RolloutServiceDeps;

  constructor(deps: RolloutServiceDeps) {
    this.#deps = deps;
  }

  async status(env: string, app: string): Promise<RolloutView> {
    this.#deps.manifests.assertApp(env, app);
    const latest = (await this.#deps.releases.list(env, app, 1))[0];
    const rollout = latest && (await this.#deps.rollouts.forRelease(env, app, latest.number));
    if (!latest || !rollout) throw notFound(`a rollout of ${app} in ${env}`, `deploy first: rampart deploy ${app} --env ${env}`);
    return toRolloutView(rollout, latest.config.release.steps);
  }

  /** `evidence`: why, as data (the alert that rolled a canary back), kept in the event beside the reason. */
  async control(
    env: string,
    app: string,
    action: RolloutAction,
    actor: string,
    reason?: string,
    evidence?: Record<string, unknown>,
  ): Promise<RolloutView> {
    this.#deps.manifests.assertApp(env, app);
    const rollout = (await this.#deps.rollouts.active()).find((r) => r.env === env && r.app === app && blocksDeploys(r.state));
    if (!rollout)
      throw conflict(
        "no_rollout_in_progress",
        `no rollout of ${app} is in progress in ${env}`,
        `rampart rollout ${app} --env ${env} status`,
      );
    const change = this.#change(action, actor, reason, rollout.data);
    const now = this.#deps.clock.now();
    // Only the flag is written (merged in the transaction), never the state: the engine may have moved on.
    const data = await this.#deps.events.transact(async (trx, emit) => {
      const merged = await this.#deps.rollouts.update(trx, rollout.id, { updatedAt: now, data: change.data });
      await emit({
        env,
        app,
        release: rollout.release,
        actor,
        type: change.type,
        message: change.message(rollout.release),
        data: { action, reason: reason ?? null, step: rollout.step, ...(evidence ? { evidence } : {}) },
      });
      return merged;
    });
    const release = await this.#deps.releases.get(env, app, rollout.release);
    return toRolloutView({ ...rollout, updatedAt: now, data }, release?.config.release.steps ?? []);
  }

  #change(action: RolloutAction, actor: string, reason: string | undefined, data: RolloutData) {
    switch (action) {
      case "pause":
        if (data.paused) throw conflict("already_paused", "the rollout is already paused");
        return {
          type: "rollout.paused" as const,
          data: { paused: true },
          message: (n: number) =>
            `rollout of release ${n} paused by ${actor}: no step advances until resumed (analysis still rolls back a bad release)`,
        };
      case "resume":
        if (!data.paused) throw conflict("not_paused", "the rollout is not paused");
        return {
          type: "rollout.resumed" as const,
          data: { paused: false },
          message: (n: number) => `rollout of release ${n} resumed by ${actor}`,
        };
      case "promote":
        return {
          type: "rollout.promoted" as const,
          data: { promoteRequestedBy: actor, paused: false },
          message: (n: number) => `release ${n} promoted by ${actor}: remaining steps and analysis skipped`,
        };
      case "abort":
        return {
          type: "rollout.aborted" as const,
          data: { abortRequested: { by: actor, reason: reason ?? "manual abort" } },
          message: (n: number) => `rollout of release ${n} aborted by ${actor}${reason ? `: ${reason}` : ""}`,
        };
    }
  }
}
