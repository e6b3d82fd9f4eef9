import { randomUUID } from "node:crypto";
import type { Db } from "../db/database.ts";
import type { EventLog } from "../events/event-log.ts";
import type { TimerClock } from "../shared/clock.ts";
import { conflict, errorMessage, notFound, RampartError } from "../shared/errors.ts";
import { logger } from "../shared/logger.ts";
import type { EdgeStats } from "../edge/edge-stats.types.ts";
import type { EdgeStatsSink } from "../traffic/edge-controller.ts";
import { DrillFailed, type DrillRunnerDeps, runRollbackDrill } from "./rollback-drill.runner.ts";
import { RollbackDrillStore } from "./rollback-drill.store.ts";
import type { DrillPhase, DrillResult, LatestDrill, RollbackDrill } from "./rollback-drill.types.ts";
import { ServedCounter } from "./served-counter.ts";

export interface RollbackDrillDeps {
  db: Db;
  events: EventLog;
  clock: TimerClock;
  isProtected(env: string): boolean;
  assertApp(env: string, app: string): void;
  /** Throws rollout_in_progress while a rollout of the app is under way. */
  assertIdle(env: string, app: string): Promise<void>;
  liveRelease(env: string, app: string): Promise<number | null>;
  /** The URL the drill's load requests through the edge: the environment's address and the app's first route. */
  target(env: string, app: string): Promise<string>;
  runner: Omit<DrillRunnerDeps, "served" | "clock">;
}

export interface StartOptions {
  rate: number;
  trigger: "manual" | "schedule";
  allowProduction: boolean;
}

/**
 * Rollback drills: started at once and run in the background (one per app at a time), each stored with its
 * drill.rollback_started / drill.rollback_finished events. `latest` is what readiness reads.
 */
export class RollbackDrillService implements EdgeStatsSink {
  readonly #deps: RollbackDrillDeps;
  readonly #store: RollbackDrillStore;
  readonly #starting = new Set<string>();
  readonly #running = new Map<string, { drill: RollbackDrill; counter: ServedCounter; done: Promise<void>; abort: AbortController }>();

  constructor(deps: RollbackDrillDeps) {
    this.#deps = deps;
    this.#store = new RollbackDrillStore(deps.db);
  }

  async start(env: string, app: string, actor: string, options: StartOptions): Promise<RollbackDrill> {
    this.#deps.assertApp(env, app);
    if (this.#deps.isProtected(env) && !options.allowProduction)
      throw new RampartError("drill_refused", `${env} is protected: a rollback drill there needs --allow-production`, {
        hint: `drill in staging (rampart drill rollback ${app} --env staging), or add --allow-production (permission drill.protected, audited)`,
      });
    const key = `${env}\u0000${app}`;
    if (this.#starting.has(key) || this.isRunning(env, app))
      throw conflict(
        "drill_running",
        `a rollback drill of ${app} in ${env} is already running`,
        `rampart drill rollback ${app} --env ${env} --history`,
      );
    // Claimed before the first await, so two requests at once cannot both start one.
    this.#starting.add(key);
    try {
      return await this.#begin(env, app, actor, options);
    } finally {
      this.#starting.delete(key);
    }
  }

  async #begin(env: string, app: string, actor: string, options: StartOptions): Promise<RollbackDrill> {
    await this.#deps.assertIdle(env, app);
    const previousRelease = await this.#deps.liveRelease(env, app);
    if (previousRelease === null)
      throw conflict(
        "nothing_to_drill",
        `${app} has no live release in ${env}: a drill deploys it again and rolls back`,
        `rampart deploy ${app} --env ${env} --wait`,
      );
    const url = await this.#deps.target(env, app);
    const drill: RollbackDrill = {
      id: `drill-${randomUUID().slice(0, 8)}`,
      env,
      app,
      status: "running",
      phase: "deploying",
      trigger: options.trigger,
      actor,
      allowProduction: options.allowProduction,
      startedAt: this.#deps.clock.now(),
      finishedAt: null,
      result: null,
      error: null,
    };
    await this.#deps.events.transact(async (trx, emit) => {
      await this.#store.insert(trx, drill);
      await emit({
        type: "drill.rollback_started",
        env,
        app,
        release: previousRelease,
        actor,
        message: `${actor} started a rollback drill of ${app} in ${env}${options.allowProduction ? " (protected: --allow-production)" : ""} at ${options.rate}/s through ${url}`,
        data: { id: drill.id, trigger: options.trigger, rate: options.rate, url, allowProduction: options.allowProduction },
      });
    });
    const counter = new ServedCounter(env, app, () => this.#deps.clock.now());
    const entry = { drill, counter, done: Promise.resolve(), abort: new AbortController() };
    this.#running.set(drill.id, entry);
    const onPhase = (phase: DrillPhase) => (entry.drill = { ...entry.drill, phase });
    entry.done = runRollbackDrill(
      { ...this.#deps.runner, clock: this.#deps.clock, served: counter },
      { env, app, actor, url, rate: options.rate, previousRelease, onPhase, signal: entry.abort.signal },
    )
      .then(
        (result) => this.#finish(drill, result, null),
        (error: unknown) => this.#finish(drill, error instanceof DrillFailed ? error.result : null, errorMessage(error)),
      )
      .catch((error: unknown) => logger.error({ err: error, drill: drill.id }, "could not record the end of a rollback drill"))
      .finally(() => this.#running.delete(drill.id));
    return drill;
  }

  async #finish(drill: RollbackDrill, result: DrillResult | null, error: string | null): Promise<void> {
    const others = result ? Object.keys(result.servedAfterSwitch).filter((r) => r !== String(result.rollbackRelease)) : [];
    const problem =
      error ??
      (result && result.failed > 0
        ? `${result.failed} of ${result.sent} requests failed during the drill`
        : others.length > 0
          ? `release(s) ${others.join(", ")} still served after the switch`
          : null);
    const status = problem === null ? "passed" : "failed";
    const at = this.#deps.clock.now();
    await this.#deps.events.transact(async (trx, emit) => {
      await this.#store.finish(trx, drill.id, status, at, result, problem);
      await emit({
        type: "drill.rollback_finished",
        env: drill.env,
        app: drill.app,
        release: result?.rollbackRelease ?? undefined,
        actor: drill.actor,
        message:
          `rollback drill of ${drill.app} in ${drill.env} ${status}` +
          (result?.rollbackMs != null ? `: previous release serving 100% ${result.rollbackMs} ms after the rollback command` : "") +
          (result ? `, ${result.failed} of ${result.sent} requests failed` : "") +
          (problem !== null && error !== null ? ` (${error})` : ""),
        data: { id: drill.id, ok: status === "passed", result, error: problem },
      });
    });
  }

  async get(id: string): Promise<RollbackDrill> {
    const running = this.#running.get(id);
    if (running) return running.drill;
    const stored = await this.#store.get(id);
    if (!stored) throw notFound(`rollback drill ${id}`, "rampart drill rollback APP --env ENV --history lists them");
    return { ...stored, phase: "finished" };
  }

  async history(env: string, app: string, limit = 50): Promise<RollbackDrill[]> {
    this.#deps.assertApp(env, app);
    const stored = await this.#store.history(env, app, limit);
    return stored.map((d) => this.#running.get(d.id)?.drill ?? { ...d, phase: "finished" });
  }

  /** The newest finished drill of the app in the environment (for readiness): when, and whether it passed. */
  async latest(env: string, app: string): Promise<LatestDrill | null> {
    const d = await this.#store.latestFinished(env, app);
    return d ? { at: d.finishedAt ?? d.startedAt, ok: d.status === "passed" } : null;
  }

  /** When the newest drill of the app in the environment started, whatever its outcome (the schedule's clock). */
  async latestStarted(env: string, app: string): Promise<number | null> {
    return (await this.#store.history(env, app, 1))[0]?.startedAt ?? null;
  }

  /** Resolves when no drill is running any more. */
  async idle(): Promise<void> {
    await Promise.all([...this.#running.values()].map((r) => r.done));
  }

  /** Drills a previous control plane left running ended with it: recorded as failed, never resumed. */
  async failInterrupted(): Promise<void> {
    for (const d of await this.#store.running()) {
      if (this.#running.has(d.id)) continue;
      await this.#finish({ ...d, phase: "finished" }, null, "interrupted: the control plane stopped during the drill");
    }
  }

  acceptEdgeStats(stats: EdgeStats): void {
    for (const r of this.#running.values()) r.counter.acceptEdgeStats(stats);
  }

  /** Ends running drills (recorded as failed: the control plane is stopping) and resolves when they have ended. */
  async stop(): Promise<void> {
    for (const r of this.#running.values()) r.abort.abort(new Error("the control plane stopped during the drill"));
    await Promise.all([...this.#running.values()].map((r) => r.done));
  }

  isRunning(env: string, app: string): boolean {
    return [...this.#running.values()].some((r) => r.drill.env === env && r.drill.app === app);
  }
}
