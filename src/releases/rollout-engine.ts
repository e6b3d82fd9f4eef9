import type { EventLog } from "../events/event-log.ts";
import type { Clock } from "../shared/clock.ts";
import { errorMessage } from "../shared/errors.ts";
import type { InstanceSupervisor, TrafficControl } from "../runtime/instance-supervisor.ts";
import type { InstanceRecord } from "../runtime/instance.types.ts";
import type { LaunchConfig } from "../runtime/launch-config.ts";
import { readLogLines } from "../runtime/log-reader.ts";
import type { ArtifactService } from "./artifact.service.ts";
import type { ReleaseStore } from "./release.store.ts";
import type { ReleaseRecord } from "./release.types.ts";
import type { RolloutStore } from "./rollout.store.ts";
import type { RolloutRecord, RolloutState } from "./rollout.types.ts";
import { isActiveRollout } from "./rollout.types.ts";
import { logger } from "../shared/logger.ts";

export interface RolloutEngineDeps {
  releases: ReleaseStore;
  rollouts: RolloutStore;
  artifacts: ArtifactService;
  supervisor: InstanceSupervisor;
  traffic: TrafficControl;
  events: EventLog;
  clock: Clock;
  launchConfig(release: ReleaseRecord): LaunchConfig;
}

class RolloutFailure extends Error {}

const POLL_MS = 100;
/** Each shifted instance must stay healthy this long under live traffic before the next one moves. */
const MIN_STEP_HOLD_MS = 500;

/**
 * Drives a rolling rollout: build once → start every new instance beside the old ones → move traffic one
 * instance at a time, each held while it proves healthy → drain and stop the old ones. Old instances keep
 * running until the new release is fully live, so a failure at any step puts traffic back at once.
 * Each step is persisted before it acts, so a restarted control plane resumes where the last one stopped.
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

  async resumeActive(): Promise<void> {
    for (const rollout of await this.#deps.rollouts.active()) {
      await this.#deps.events.append({
        ...labels(rollout),
        type: "rollout.resumed",
        message: `resuming the rollout of release ${rollout.release} at ${rollout.state}${rollout.state === "shifting" ? ` step ${rollout.step}` : ""}`,
        data: { state: rollout.state, step: rollout.step },
      });
      this.run(rollout.id);
    }
  }

  async #drive(id: number): Promise<void> {
    for (;;) {
      const rollout = await this.#deps.rollouts.get(id);
      if (!rollout || !isActiveRollout(rollout.state)) return;
      const release = await this.#deps.releases.get(rollout.env, rollout.app, rollout.release);
      if (!release) throw new Error(`release ${rollout.release} of ${rollout.app} in ${rollout.env} is missing`);
      try {
        if (rollout.state === "building") await this.#build(rollout, release);
        else if (rollout.state === "starting") await this.#start(rollout, release);
        else if (rollout.state === "shifting") await this.#shift(rollout, release);
        else if (rollout.state === "draining") await this.#drain(rollout, release);
      } catch (error) {
        await this.#fail(rollout, release, errorMessage(error));
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
      if (!existing.has(slot)) await this.#deps.supervisor.launch({ env: release.env, app: release.app, release: release.number, slot, routable: false }, launch);
    }
    const deadline = Math.max(rollout.updatedAt, this.#deps.clock.now()) + release.config.health.startTimeoutMs;
    for (;;) {
      const instances = this.#instancesOf(release);
      const failed = instances.find((i) => i.status === "failed" || i.status === "stopped");
      if (failed) throw new RolloutFailure(`instance ${failed.id} keeps crashing (${failed.lastExit ?? "no exit status"})${lastLines(failed)}`);
      if (instances.length >= release.config.instances && instances.every((i) => i.status === "healthy")) break;
      if (this.#deps.clock.now() > deadline) {
        const slow = instances.find((i) => i.status !== "healthy");
        const health = release.config.health;
        throw new RolloutFailure(
          `instance ${slow?.id ?? "?"} did not become healthy within ${health.startTimeoutMs} ms (GET ${health.path} on its PORT must answer 200-399; status: ${slow?.status ?? "missing"}${slow?.lastExit ? `, last exit: ${slow.lastExit}` : ""})${slow ? lastLines(slow) : ""}`,
        );
      }
      await pause(POLL_MS);
    }
    await this.#deps.events.transact(async (trx) => {
      await this.#deps.releases.setStatus(trx, release.env, release.app, release.number, { status: "deploying" });
    });
    await this.#advance(rollout, "shifting", 0, `all ${release.config.instances} instance(s) healthy; moving traffic`);
  }

  async #shift(rollout: RolloutRecord, release: ReleaseRecord): Promise<void> {
    const fresh = this.#instancesOf(release).sort((a, b) => a.slot - b.slot);
    const total = fresh.length;
    for (let step = rollout.step + 1; step <= total; step++) {
      const old = this.#others(release).filter((i) => i.routable);
      const moving = fresh[step - 1];
      if (!moving) break;
      // The last step takes every remaining old instance out, whatever the counts.
      const leaving = step === total ? old : old.slice(0, 1);
      await this.#deps.supervisor.setRoutable([moving.id], true);
      await this.#deps.supervisor.setRoutable(leaving.map((i) => i.id), false);
      await this.#deps.traffic.applyRouting();
      await this.#advance(rollout, "shifting", step, `step ${step}/${total}: ${moving.id} takes traffic${leaving.length ? `, ${leaving.map((i) => i.id).join(", ")} leave(s) rotation` : ""}`);
      await this.#hold(release, Math.max(MIN_STEP_HOLD_MS, release.config.health.intervalMs));
    }
    if (release.status !== "live") await this.#goLive(rollout, release);
    await this.#advance(rollout, "draining", total, `release ${release.number} live; draining the old instances`);
  }

  async #goLive(rollout: RolloutRecord, release: ReleaseRecord): Promise<void> {
    const previous = await this.#deps.releases.findByStatus(release.env, release.app, "live");
    const now = this.#deps.clock.now();
    await this.#deps.events.transact(async (trx, emit) => {
      if (previous && previous.number !== release.number) {
        const status = rollout.data.isRollback ? "rolled_back" : "superseded";
        await this.#deps.releases.setStatus(trx, previous.env, previous.app, previous.number, { status, finishedAt: now, reason: `replaced by release ${release.number}` });
        await emit({ ...labels(rollout), release: previous.number, type: rollout.data.isRollback ? "release.rolled_back" : "release.superseded", message: `release ${previous.number} ${status === "rolled_back" ? "rolled back" : "superseded"} by ${release.number}` });
      }
      await this.#deps.releases.setStatus(trx, release.env, release.app, release.number, { status: "live", liveAt: now, reason: null });
      await emit({ ...labels(rollout), type: "release.live", message: `release ${release.number} of ${release.app} is live in ${release.env}`, data: { durationMs: now - release.createdAt } });
    });
  }

  /** Watches the instances that already take traffic; one that crashes or turns unhealthy fails the rollout. */
  async #hold(release: ReleaseRecord, ms: number): Promise<void> {
    const until = this.#deps.clock.now() + ms;
    while (this.#deps.clock.now() < until) {
      const bad = this.#instancesOf(release).find((i) => i.routable && i.status !== "healthy");
      if (bad) throw new RolloutFailure(`instance ${bad.id} became ${bad.status} while taking traffic${bad.lastExit ? ` (${bad.lastExit})` : ""}${lastLines(bad)}`);
      await pause(POLL_MS);
    }
  }

  async #drain(rollout: RolloutRecord, release: ReleaseRecord): Promise<void> {
    const leaving = this.#others(release);
    await Promise.all(leaving.map((i) => this.#deps.supervisor.drainAndStop(i.id, `replaced by release ${release.number}`)));
    await this.#advance(rollout, "completed", rollout.step, `rollout of release ${release.number} completed`, true);
    const warm = new Set<string>();
    for (const instance of this.#deps.supervisor.list()) {
      const owner = await this.#deps.releases.get(instance.env, instance.app, instance.release);
      if (owner) warm.add(owner.artifactDigest);
    }
    await this.#deps.artifacts.collect(warm);
  }

  async #fail(rollout: RolloutRecord, release: ReleaseRecord, reason: string): Promise<void> {
    const fresh = this.#instancesOf(release);
    const previous = await this.#deps.releases.findByStatus(release.env, release.app, "live");
    const restore = previous ? this.#others(release).filter((i) => i.release === previous.number && i.status !== "stopping") : [];
    await this.#deps.supervisor.setRoutable(restore.map((i) => i.id), true);
    await this.#deps.supervisor.setRoutable(fresh.map((i) => i.id), false);
    await this.#deps.traffic.applyRouting();
    // Settled before it is reported: when `deploy --wait` returns, the failed instances are gone.
    await Promise.all(fresh.map((i) => this.#deps.supervisor.drainAndStop(i.id, `release ${release.number} failed`)));
    const now = this.#deps.clock.now();
    await this.#deps.events.transact(async (trx, emit) => {
      await this.#deps.releases.setStatus(trx, release.env, release.app, release.number, { status: "failed", reason, finishedAt: now });
      await this.#deps.rollouts.update(trx, rollout.id, { state: "failed", updatedAt: now, finishedAt: now, data: { ...rollout.data, message: reason } });
      await emit({ ...labels(rollout), type: "release.failed", message: `release ${release.number} failed: ${reason}`, data: { reason } });
      await emit({ ...labels(rollout), type: "rollout.failed", message: `rollout of release ${release.number} failed at ${rollout.state}; ${previous ? `release ${previous.number} keeps serving` : "nothing was serving before"}`, data: { state: rollout.state, step: rollout.step } });
    });
  }

  async #advance(rollout: RolloutRecord, state: RolloutState, step: number, message: string, final = false): Promise<void> {
    const now = this.#deps.clock.now();
    await this.#deps.events.transact(async (trx, emit) => {
      await this.#deps.rollouts.update(trx, rollout.id, { state, step, updatedAt: now, finishedAt: final ? now : undefined, data: { ...rollout.data, message } });
      await emit({ ...labels(rollout), type: final ? "rollout.completed" : "rollout.step", message, data: { state, step } });
    });
  }

  #instancesOf(release: ReleaseRecord): InstanceRecord[] {
    return this.#deps.supervisor.list().filter((i) => i.env === release.env && i.app === release.app && i.release === release.number);
  }

  #others(release: ReleaseRecord): InstanceRecord[] {
    return this.#deps.supervisor
      .list()
      .filter((i) => i.env === release.env && i.app === release.app && i.release !== release.number && i.status !== "stopped");
  }
}

function labels(rollout: RolloutRecord) {
  return { env: rollout.env, app: rollout.app, release: rollout.release };
}

function lastLines(instance: InstanceRecord): string {
  const lines = readLogLines({ files: [{ path: instance.logPath, labels: {} }], limit: 8 });
  if (lines.length === 0) return "";
  return `; its last output:\n${lines.map((l) => `  ${l.stream === "err" ? "!" : " "} ${l.text}`).join("\n")}`;
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
