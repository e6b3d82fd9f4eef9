import type { EventLog } from "../events/event-log.ts";
import type { InstanceSupervisor } from "../runtime/instance-supervisor.ts";
import type { InstanceRecord } from "../runtime/instance.types.ts";
import type { LaunchConfig } from "../runtime/launch-config.ts";
import { readLogLines } from "../runtime/log-reader.ts";
import { describeOutput, SEARCHED_LINES } from "../runtime/crash-output.ts";
import type { TimerClock } from "../shared/clock.ts";
import type { TrafficService } from "../traffic/traffic.service.ts";
import { errorMessage } from "../shared/errors.ts";
import { logger } from "../shared/logger.ts";
import type { ArtifactService } from "./artifact.service.ts";
import type { ReleaseStore } from "./release.store.ts";
import type { ReleaseRecord } from "./release.types.ts";
import { canaryShift, type ReleaseWindows } from "./rollout-canary.ts";
import { RolloutFailure, RolloutRollback } from "./rollout-context.ts";
import { strategyContext } from "./rollout-engine-context.ts";
import { failRollout, rollBackRollout, switchBackToWarm } from "./rollout-engine-endings.ts";
import { advanceRollout, instancesOf, labels, mustGetRelease, POLL_MS } from "./rollout-engine-records.ts";
import { blueGreenSwitch, rollingShift } from "./rollout-strategies.ts";
import type { RolloutStore } from "./rollout.store.ts";
import { blocksDeploys, isActiveRollout, type RolloutRecord } from "./rollout.types.ts";

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
    await switchBackToWarm(this.#deps, rollout, actor);
  }

  async #drive(id: number): Promise<void> {
    for (;;) {
      const rollout = await this.#deps.rollouts.get(id);
      if (!rollout || !isActiveRollout(rollout.state)) return;
      const release = await mustGetRelease(this.#deps, rollout.env, rollout.app, rollout.release);
      try {
        if (rollout.state === "building") await this.#build(rollout, release);
        else if (rollout.state === "starting") await this.#start(rollout, release);
        else if (rollout.state === "shifting" && rollout.data.rollingBack) {
          // Traffic went back before a restart: finish the rollback (the canary gets no traffic to judge any more).
          const { reason, by, verdict } = rollout.data.rollingBack;
          await rollBackRollout(this.#deps, rollout, release, new RolloutRollback(reason, { by, verdict }));
        } else if (rollout.state === "shifting") await this.#shift(rollout, release);
        else if (rollout.state === "warm") await this.#warm(rollout);
        else if (rollout.state === "draining") await this.#drain(rollout, release);
      } catch (error) {
        if (error instanceof RolloutRollback) await rollBackRollout(this.#deps, rollout, release, error);
        else await failRollout(this.#deps, rollout, release, errorMessage(error));
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
    await advanceRollout(
      this.#deps,
      rollout,
      "starting",
      0,
      `starting ${release.config.instances} instance(s) of release ${release.number}`,
    );
  }

  async #start(rollout: RolloutRecord, release: ReleaseRecord): Promise<void> {
    const launch = this.#deps.launchConfig(release);
    const existing = new Set(instancesOf(this.#deps, release).map((i) => i.slot));
    for (let slot = 1; slot <= release.config.instances; slot++) {
      if (!existing.has(slot))
        await this.#deps.supervisor.launch({ env: release.env, app: release.app, release: release.number, slot }, launch);
    }
    const deadline = Math.max(rollout.updatedAt, this.#deps.clock.now()) + release.config.health.startTimeoutMs;
    for (;;) {
      const instances = instancesOf(this.#deps, release);
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
    await advanceRollout(
      this.#deps,
      rollout,
      "shifting",
      0,
      `all ${release.config.instances} instance(s) healthy; moving traffic (${rollout.strategy})`,
    );
  }

  async #shift(rollout: RolloutRecord, release: ReleaseRecord): Promise<void> {
    const ctx = strategyContext(this.#deps, rollout, release);
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
      await advanceRollout(
        this.#deps,
        latest,
        "warm",
        latest.step,
        `release ${release.number} live; release ${rollout.fromRelease} kept warm for ${Math.round(keepWarm / 1000)} s (instant rollback)`,
        false,
        { warmUntil: this.#deps.clock.now() + keepWarm },
      );
    } else {
      await advanceRollout(this.#deps, latest, "draining", latest.step, `release ${release.number} live; draining the old instances`);
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
        await advanceRollout(this.#deps, current, "draining", current.step, `warm period over; draining release ${rollout.fromRelease}`);
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
    await advanceRollout(
      this.#deps,
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
}

function lastLines(instance: InstanceRecord): string {
  return describeOutput(readLogLines({ files: [{ path: instance.logPath, labels: {} }], limit: SEARCHED_LINES }));
}
