import type { Emit, EventLog } from "../events/event-log.ts";
import type { InstanceSupervisor } from "../runtime/instance-supervisor.ts";
import type { InstanceRecord } from "../runtime/instance.types.ts";
import type { LaunchConfig } from "../runtime/launch-config.ts";
import { readLogLines } from "../runtime/log-reader.ts";
import { describeOutput, SEARCHED_LINES } from "../runtime/crash-output.ts";
import type { Db } from "../db/database.ts";
import type { TimerClock } from "../shared/clock.ts";
import type { TrafficService, TrafficSetOptions } from "../traffic/traffic.service.ts";
import { errorMessage } from "../shared/errors.ts";
import { logger } from "../shared/logger.ts";
import type { ArtifactService } from "./artifact.service.ts";
import type { ReleaseStore } from "./release.store.ts";
import type { ReleaseRecord } from "./release.types.ts";
import { canaryShift, type ReleaseWindows } from "./rollout-canary.ts";
import { checkUnderTraffic, RolloutFailure, RolloutRollback, type StrategyContext } from "./rollout-context.ts";
import { blueGreenSwitch, rollingShift } from "./rollout-strategies.ts";
import type { RolloutStore } from "./rollout.store.ts";
import { blocksDeploys, isActiveRollout, type RolloutData, type RolloutRecord, type RolloutState } from "./rollout.types.ts";

export interface RolloutEngineDeps {
  releases: ReleaseStore;
  rollouts: RolloutStore;
  artifacts: Pick<ArtifactService, "ensureBuilt" | "collect">;
  supervisor: Pick<InstanceSupervisor, "launch" | "list" | "drainAndStop">;
  /** The one owner of where requests go: every routing change of a rollout is a `traffic.set`. */
  traffic: Pick<TrafficService, "set" | "isRoutable">;
  events: EventLog;
  clock: TimerClock;
  launchConfig(release: ReleaseRecord): LaunchConfig;
  windows(env: string, app: string): ReleaseWindows;
}

const POLL_MS = 100;
const WARM_POLL_MS = 500;

/**
 * Drives rollouts: build once → start every new instance beside the old ones → move traffic by the release's
 * strategy (rolling, blue-green, canary) → live → [keep the old release warm →] drain and stop the old instances.
 * Old instances keep running until the new release is live, so any failure is one table push from the old state.
 * Every step is persisted before it acts, so a restarted control plane resumes where the last one stopped.
 */
export class RolloutEngine {
  readonly #deps: RolloutEngineDeps;
  readonly #running = new Map<number, Promise<void>>();

  constructor(deps: RolloutEngineDeps) {
    this.#deps = deps;
  }

  run(rolloutId: number): void {
    if (this.#running.has(rolloutId)) return;
    const work = this.#drive(rolloutId)
      .catch((error: unknown) => {
        logger.error({ err: error, rolloutId }, "rollout driver failed");
      })
      .finally(() => {
        this.#running.delete(rolloutId);
      });
    this.#running.set(rolloutId, work);
  }

  /** Resolves when the rollout's driver (if running) has stopped: it completed, failed or was rolled back. */
  settled(rolloutId: number): Promise<void> {
    return this.#running.get(rolloutId) ?? Promise.resolve();
  }

  async resumeActive(): Promise<void> {
    for (const rollout of await this.#deps.rollouts.active()) {
      await this.#deps.events.append({
        ...labels(rollout),
        type: "rollout.recovered",
        message: `resuming the rollout of release ${rollout.release} at ${rollout.state}${rollout.step ? ` step ${rollout.step}` : ""}`,
        data: { state: rollout.state, step: rollout.step },
      });
      this.run(rollout.id);
    }
  }

  /** Blue-green's warm rollback: the old release takes all traffic again at once and the new one is drained. */
  async switchBack(rollout: RolloutRecord, actor: string): Promise<void> {
    const current = await this.#mustGet(rollout.env, rollout.app, rollout.release);
    const previous =
      rollout.fromRelease === null ? undefined : await this.#deps.releases.get(rollout.env, rollout.app, rollout.fromRelease);
    if (!previous) throw new Error(`release ${rollout.fromRelease} is gone`);
    const warm = this.#instancesOf(previous).filter((i) => i.status === "healthy");
    const now = this.#deps.clock.now();
    const change = { add: warm.map((i) => i.id), remove: this.#instancesOf(current).map((i) => i.id), weights: null };
    const reason = `rollback by ${actor}: warm release ${previous.number} takes all traffic`;
    await this.#deps.traffic.set(current.env, current.app, change, {
      reason,
      actor,
      release: current.number,
      also: async (trx, emit) => {
        await this.#deps.releases.setStatus(trx, current.env, current.app, current.number, {
          status: "rolled_back",
          reason: `rolled back by ${actor} to the warm release ${previous.number}`,
          finishedAt: now,
        });
        await this.#deps.releases.setStatus(trx, previous.env, previous.app, previous.number, {
          status: "live",
          liveAt: now,
          reason: null,
          finishedAt: null,
        });
        await this.#deps.rollouts.update(trx, rollout.id, {
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

  async #drive(id: number): Promise<void> {
    for (;;) {
      const rollout = await this.#deps.rollouts.get(id);
      if (!rollout || !isActiveRollout(rollout.state)) return;
      const release = await this.#mustGet(rollout.env, rollout.app, rollout.release);
      try {
        if (rollout.state === "building") await this.#build(rollout, release);
        else if (rollout.state === "starting") await this.#start(rollout, release);
        else if (rollout.state === "shifting" && rollout.data.rollingBack) {
          // Traffic went back before a restart: finish the rollback (the canary gets no traffic to judge any more).
          const { reason, by, verdict } = rollout.data.rollingBack;
          await this.#rollBack(rollout, release, new RolloutRollback(reason, { by, verdict }));
        } else if (rollout.state === "shifting") await this.#shift(rollout, release);
        else if (rollout.state === "warm") await this.#warm(rollout);
        else if (rollout.state === "draining") await this.#drain(rollout, release);
      } catch (error) {
        if (error instanceof RolloutRollback) await this.#rollBack(rollout, release, error);
        else await this.#fail(rollout, release, errorMessage(error));
      }
    }
  }

  async #build(rollout: RolloutRecord, release: ReleaseRecord): Promise<void> {
    const built = await this.#deps.artifacts.ensureBuilt({
      env: release.env,
      app: release.app,
      release: release.number,
      digest: release.artifactDigest,
      command: release.config.build,
      env_: release.config.env,
    });
    if (!built.ok) throw new RolloutFailure(built.reason);
    await this.#advance(rollout, "starting", 0, `starting ${release.config.instances} instance(s) of release ${release.number}`);
  }

  async #start(rollout: RolloutRecord, release: ReleaseRecord): Promise<void> {
    const launch = this.#deps.launchConfig(release);
    const existing = new Set(this.#instancesOf(release).map((i) => i.slot));
    for (let slot = 1; slot <= release.config.instances; slot++) {
      if (!existing.has(slot))
        await this.#deps.supervisor.launch({ env: release.env, app: release.app, release: release.number, slot }, launch);
    }
    const deadline = Math.max(rollout.updatedAt, this.#deps.clock.now()) + release.config.health.startTimeoutMs;
    for (;;) {
      const instances = this.#instancesOf(release);
      const failed = instances.find((i) => i.status === "failed" || i.status === "stopped");
      if (failed)
        throw new RolloutFailure(`instance ${failed.id} keeps crashing (${failed.lastExit ?? "no exit status"})${lastLines(failed)}`);
      if (instances.length >= release.config.instances && instances.every((i) => i.status === "healthy")) break;
      if (this.#deps.clock.now() > deadline) {
        const slow = instances.find((i) => i.status !== "healthy");
        const health = release.config.health;
        throw new RolloutFailure(
          `instance ${slow?.id ?? "?"} did not become healthy within ${health.startTimeoutMs} ms (GET ${health.path} on its PORT must answer 200-399; status: ${slow?.status ?? "missing"}${slow?.lastProbe ? `, last check: ${slow.lastProbe}` : ""}${slow?.lastExit ? `, last exit: ${slow.lastExit}` : ""})${slow ? lastLines(slow) : ""}`,
        );
      }
      const current = await this.#deps.rollouts.get(rollout.id);
      if (current?.data.abortRequested)
        throw new RolloutFailure(
          `aborted by ${current.data.abortRequested.by} before taking traffic: ${current.data.abortRequested.reason}`,
        );
      await this.#deps.clock.sleep(POLL_MS);
    }
    await this.#deps.events.transact(async (trx, emit) => {
      await this.#deps.releases.setStatus(trx, release.env, release.app, release.number, { status: "deploying" });
      await emit({
        ...labels(rollout),
        type: "release.deploying",
        message: `release ${release.number} is healthy and about to take traffic`,
      });
    });
    await this.#advance(
      rollout,
      "shifting",
      0,
      `all ${release.config.instances} instance(s) healthy; moving traffic (${rollout.strategy})`,
    );
  }

  async #shift(rollout: RolloutRecord, release: ReleaseRecord): Promise<void> {
    const ctx = this.#context(rollout, release);
    const stable = ctx.stable();
    if (rollout.strategy === "canary" && rollout.fromRelease !== null && stable.length > 0) {
      await canaryShift(ctx, rollout.fromRelease, this.#deps.windows(release.env, release.app));
    } else if (rollout.strategy === "blue-green" || rollout.strategy === "canary") {
      // A canary with nothing to compare against (the first release) goes out like blue-green.
      await blueGreenSwitch(ctx);
    } else {
      await rollingShift(ctx);
    }
    const latest = ctx.rollout();
    await ctx.route(ctx.fresh(), ctx.stable(), { canaryPercent: undefined });
    if (release.status !== "live") await this.#goLive(latest, release);
    const keepWarm = rollout.strategy === "blue-green" && ctx.stable().length > 0 ? release.config.release.keepWarmMs : 0;
    if (keepWarm > 0) {
      await this.#advance(
        latest,
        "warm",
        latest.step,
        `release ${release.number} live; release ${rollout.fromRelease} kept warm for ${Math.round(keepWarm / 1000)} s (instant rollback)`,
        false,
        { warmUntil: this.#deps.clock.now() + keepWarm },
      );
    } else {
      await this.#advance(latest, "draining", latest.step, `release ${release.number} live; draining the old instances`);
    }
  }

  async #goLive(rollout: RolloutRecord, release: ReleaseRecord): Promise<void> {
    const previous = await this.#deps.releases.findByStatus(release.env, release.app, "live");
    const now = this.#deps.clock.now();
    const promoted = rollout.data.promoteRequestedBy;
    await this.#deps.events.transact(async (trx, emit) => {
      if (previous && previous.number !== release.number) {
        const status = rollout.data.isRollback ? "rolled_back" : "superseded";
        await this.#deps.releases.setStatus(trx, previous.env, previous.app, previous.number, {
          status,
          finishedAt: now,
          reason: `replaced by release ${release.number}`,
        });
        await emit({
          ...labels(rollout),
          release: previous.number,
          type: status === "rolled_back" ? "release.rolled_back" : "release.superseded",
          message: `release ${previous.number} ${status === "rolled_back" ? "rolled back" : "superseded"} by ${release.number}`,
        });
      }
      await this.#deps.releases.setStatus(trx, release.env, release.app, release.number, {
        status: "live",
        liveAt: now,
        reason: promoted ? `promoted by ${promoted}, remaining analysis skipped` : null,
      });
      await emit({
        ...labels(rollout),
        type: "release.live",
        message: `release ${release.number} of ${release.app} is live in ${release.env}`,
        data: { durationMs: now - release.createdAt, promotedBy: promoted ?? null },
      });
    });
  }

  /** Blue-green: the replaced release stays up (out of rotation) until its warm time is over or the next deploy. */
  async #warm(rollout: RolloutRecord): Promise<void> {
    for (;;) {
      const current = await this.#deps.rollouts.get(rollout.id);
      if (current?.state !== "warm") return;
      if (this.#deps.clock.now() >= (current.data.warmUntil ?? 0)) {
        await this.#advance(current, "draining", current.step, `warm period over; draining release ${rollout.fromRelease}`);
        return;
      }
      await this.#deps.clock.sleep(WARM_POLL_MS);
    }
  }

  /** Stops every instance of the app that belongs neither to the live release nor to a rollout still moving traffic. */
  async #drain(rollout: RolloutRecord, release: ReleaseRecord): Promise<void> {
    const live = await this.#deps.releases.findByStatus(rollout.env, rollout.app, "live");
    const busy = new Set(
      (await this.#deps.rollouts.active())
        .filter((r) => r.env === rollout.env && r.app === rollout.app && blocksDeploys(r.state))
        .map((r) => r.release),
    );
    const leaving = this.#deps.supervisor
      .list()
      .filter((i) => i.env === rollout.env && i.app === rollout.app && i.release !== live?.number && !busy.has(i.release));
    await Promise.all(leaving.map((i) => this.#deps.supervisor.drainAndStop(i.id, live ? `release ${live.number} is live` : "not live")));
    const outcome = rollout.data.outcome ?? (release.status === "rolled_back" ? "rolled_back" : "live");
    await this.#advance(
      rollout,
      "completed",
      rollout.step,
      outcome === "live"
        ? `rollout of release ${release.number} completed`
        : `rollout of release ${release.number} ended: ${release.reason ?? outcome}`,
      true,
      { outcome },
    );
    const warm = new Set<string>();
    for (const instance of this.#deps.supervisor.list()) {
      const owner = await this.#deps.releases.get(instance.env, instance.app, instance.release);
      if (owner) warm.add(owner.artifactDigest);
    }
    await this.#deps.artifacts.collect(warm);
  }

  /** Before traffic moved: restore routing, stop the new instances, mark the release failed. */
  async #fail(rollout: RolloutRecord, release: ReleaseRecord, reason: string): Promise<void> {
    const fresh = this.#instancesOf(release);
    await this.#restoreStable(release, fresh);
    // Settled before it is reported: when `deploy --wait` returns, the failed instances are gone.
    await Promise.all(fresh.map((i) => this.#deps.supervisor.drainAndStop(i.id, `release ${release.number} failed`)));
    const now = this.#deps.clock.now();
    const previous = await this.#deps.releases.findByStatus(release.env, release.app, "live");
    await this.#deps.events.transact(async (trx, emit) => {
      await this.#deps.releases.setStatus(trx, release.env, release.app, release.number, { status: "failed", reason, finishedAt: now });
      await this.#deps.rollouts.update(trx, rollout.id, {
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
  async #rollBack(rollout: RolloutRecord, release: ReleaseRecord, cause: RolloutRollback): Promise<void> {
    const fresh = this.#instancesOf(release);
    const current = (await this.#deps.rollouts.get(rollout.id)) ?? rollout;
    const backAt = current.data.rolledBackAt ?? this.#deps.clock.now();
    // Traffic back on stable, the rollback's cause and its event in one transaction (once, also across restarts).
    if (!current.data.rollingBack) {
      await this.#restoreStable(release, fresh, async (trx, emit) => {
        await this.#deps.rollouts.update(trx, rollout.id, {
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
    await Promise.all(fresh.map((i) => this.#deps.supervisor.drainAndStop(i.id, `release ${release.number} rolled back`)));
    const now = this.#deps.clock.now();
    await this.#deps.events.transact(async (trx, emit) => {
      await this.#deps.releases.setStatus(trx, release.env, release.app, release.number, {
        status: "rolled_back",
        reason: cause.message,
        finishedAt: now,
      });
      await this.#deps.rollouts.update(trx, rollout.id, {
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

  async #restoreStable(release: ReleaseRecord, fresh: InstanceRecord[], rollingBack?: TrafficSetOptions["also"]): Promise<void> {
    const previous = await this.#deps.releases.findByStatus(release.env, release.app, "live");
    const restore = previous ? this.#instancesOf(previous).filter((i) => i.status !== "stopping") : [];
    const rollout = await this.#deps.rollouts.forRelease(release.env, release.app, release.number);
    const change = { add: restore.map((i) => i.id), remove: fresh.map((i) => i.id), weights: null };
    // The rollout's copy of the canary % (what `rollout status` reports) goes in the same transaction.
    const also =
      rollingBack ??
      (rollout?.data.canaryPercent === undefined
        ? undefined
        : async (trx: Db, emit: Emit, trafficChanged: boolean) => {
            await this.#deps.rollouts.update(trx, rollout.id, { updatedAt: this.#deps.clock.now(), data: { canaryPercent: undefined } });
            // Traffic already back (a resumed rollback): the rollout's copy of the % still changes, so an event says so.
            if (!trafficChanged)
              await emit({
                ...labels(rollout),
                type: "rollout.step",
                message: "canary split cleared",
                data: { state: rollout.state, step: rollout.step },
              });
          });
    await this.#deps.traffic.set(release.env, release.app, change, {
      reason: `all traffic back on ${previous ? `release ${previous.number}` : "the stable release"}`,
      release: release.number,
      also,
    });
  }

  #context(initial: RolloutRecord, release: ReleaseRecord): StrategyContext {
    let rollout = initial;
    const stableRelease = initial.fromRelease;
    const ctx: StrategyContext = {
      release,
      rollout: () => rollout,
      reload: async () => (rollout = (await this.#deps.rollouts.get(rollout.id)) ?? rollout),
      fresh: () => this.#instancesOf(release).sort((a, b) => a.slot - b.slot),
      stable: () =>
        this.#deps.supervisor
          .list()
          .filter(
            (i) =>
              i.env === release.env &&
              i.app === release.app &&
              i.release === stableRelease &&
              i.status !== "stopping" &&
              i.status !== "stopped",
          ),
      routable: (instance) => this.#deps.traffic.isRoutable(instance),
      route: async (on, off, data, step) => {
        // The rollout keeps a copy of the canary % for `rollout status`, written with the traffic change.
        const patch =
          (data && changesData(rollout.data, data)) || step ? { ...data, ...(step ? { message: step.message } : {}) } : undefined;
        const weights = data && "canaryPercent" in data ? canaryWeights(release.number, stableRelease, data.canaryPercent) : undefined;
        const updatedAt = this.#deps.clock.now();
        let merged: RolloutData | undefined;
        await this.#deps.traffic.set(
          release.env,
          release.app,
          { add: on.map((i) => i.id), remove: off.map((i) => i.id), weights },
          {
            reason: rollout.data.message ?? `rollout of release ${release.number}`,
            release: release.number,
            also: patch
              ? async (trx, emit, trafficChanged) => {
                  merged = await this.#deps.rollouts.update(trx, rollout.id, { updatedAt, step: step?.step, data: patch });
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
        rollout = await this.#advance(rollout, "shifting", step, message, false, data);
      },
      note: async (message, data) => {
        rollout = await this.#persist(rollout, rollout.state, rollout.step, message, data ?? {});
      },
      hold: async (ms) => {
        const until = this.#deps.clock.now() + ms;
        while (this.#deps.clock.now() < until) {
          await ctx.reload();
          checkUnderTraffic(ctx);
          if (rollout.data.promoteRequestedBy) return;
          await this.#deps.clock.sleep(POLL_MS);
        }
      },
      now: () => this.#deps.clock.now(),
      sleep: (ms) => this.#deps.clock.sleep(ms),
    };
    return ctx;
  }

  async #persist(
    rollout: RolloutRecord,
    state: RolloutState,
    step: number,
    message: string,
    data: Partial<RolloutData>,
  ): Promise<RolloutRecord> {
    const updatedAt = this.#deps.clock.now();
    const merged = await this.#deps.events.transact(async (trx, emit) => {
      const result = await this.#deps.rollouts.update(trx, rollout.id, { state, step, updatedAt, data: { ...data, message } });
      await emit({ ...labels(rollout), type: "rollout.analysis", message, data: { state, step, verdict: data.verdict ?? null } });
      return result;
    });
    return { ...rollout, state, step, updatedAt, data: merged };
  }

  async #advance(
    rollout: RolloutRecord,
    state: RolloutState,
    step: number,
    message: string,
    final = false,
    data: Partial<RolloutData> = {},
  ): Promise<RolloutRecord> {
    const now = this.#deps.clock.now();
    const merged = await this.#deps.events.transact(async (trx, emit): Promise<RolloutData> => {
      const result = await this.#deps.rollouts.update(trx, rollout.id, {
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

  async #mustGet(env: string, app: string, number: number): Promise<ReleaseRecord> {
    const release = await this.#deps.releases.get(env, app, number);
    if (!release) throw new Error(`release ${number} of ${app} in ${env} is missing`);
    return release;
  }

  #instancesOf(release: ReleaseRecord): InstanceRecord[] {
    return this.#deps.supervisor.list().filter((i) => i.env === release.env && i.app === release.app && i.release === release.number);
  }
}

function labels(rollout: RolloutRecord) {
  return { env: rollout.env, app: rollout.app, release: rollout.release };
}

function lastLines(instance: InstanceRecord): string {
  return describeOutput(readLogLines({ files: [{ path: instance.logPath, labels: {} }], limit: SEARCHED_LINES }));
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
