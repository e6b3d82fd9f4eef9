import { addSides, DEFAULT_JUDGE_OPTIONS, emptySide, judge, type JudgeOptions, type SideCounts, type Verdict } from "../analysis/index.ts";
import { emptyTotals, ratioGuard, type VariationTotals } from "../analysis/experiment-stats.ts";
import { formatDuration } from "../config/units.ts";
import type { Db } from "../db/database.ts";
import type { EdgeStatsSink } from "../traffic/edge-controller.ts";
import type { EdgeStats, FlagVariantSeries } from "../edge/edge-stats.types.ts";
import type { EventLog } from "../events/event-log.ts";
import type { Clock } from "../shared/clock.ts";
import { logger } from "../shared/logger.ts";
import type { BusinessGuard, FlagRolloutRecord } from "./flag-change.types.ts";
import type { FlagRolloutStore } from "./flag-rollout.store.ts";
import { initialState } from "./flag-snapshot.ts";
import { planServe, stripRecord, type FlagWriter } from "./flag-writer.ts";
import type { FlagStore } from "./flag.store.ts";

export interface FlagRolloutEngineDeps {
  rollouts: FlagRolloutStore;
  store: FlagStore;
  writer: FlagWriter;
  events: EventLog;
  clock: Clock;
  judgeOptions?: Partial<JudgeOptions>;
  /** Where business guards read their numbers (the experiment service); without it a plan's business guards always hold. */
  business?: BusinessMetrics;
}

/** Per-variation cumulative totals of one tracked event for a flag in an environment (what `flags results` shows). */
export interface BusinessMetrics {
  totals(env: string, flag: string, event: string): Promise<Map<string, VariationTotals>>;
}

/** One business guard's judgement: the evidence kept in the plan's status and in its events. */
export interface BusinessGuardCheck {
  guard: string;
  holds: boolean;
  control: number;
  treatment: number;
  /** treatment − ratio × control and its always-valid interval. */
  margin: { estimate: number; low: number; high: number };
  users: { control: number; treatment: number };
  alpha: number;
}

interface Bin {
  atMs: number;
  variation: string;
  counts: SideCounts;
}

const ENGINE = "rampart";
/** Per-variant series older than this are dropped even if a step is longer: memory stays bounded. */
const MAX_WINDOW_MS = 24 * 3600_000;

/**
 * Guarded flag rollouts: each second, every running plan's current step is judged with the canary statistics of
 * src/analysis (the feature variation against the control variation of the same flag, from the requests the edge
 * measured per variation). A step advances once it has held `everyMs` and the verdict is `pass`; a `fail` pauses
 * the plan or kills the flag, with the verdict as evidence in the event. Plan, step and step start are persisted,
 * so a restarted control plane resumes; the per-variant counts are in memory, so a resumed step collects anew.
 */
export class FlagRolloutEngine implements EdgeStatsSink {
  readonly #deps: FlagRolloutEngineDeps;
  readonly #bins = new Map<string, Bin[]>();
  readonly #lastDecision = new Map<number, string>();
  #timer: NodeJS.Timeout | undefined;
  #ticking: Promise<void> | null = null;

  constructor(deps: FlagRolloutEngineDeps) {
    this.#deps = deps;
  }

  acceptEdgeStats(stats: EdgeStats, atMs: number): void {
    for (const series of stats.flagVariants ?? []) this.add(series, atMs);
  }

  /** One edge series of one flag variation, filed under the second `atMs`. */
  add(series: FlagVariantSeries, atMs: number): void {
    const key = binKey(series.env, series.flag);
    let bins = this.#bins.get(key);
    if (!bins) this.#bins.set(key, (bins = []));
    bins.push({
      atMs,
      variation: series.variation,
      counts: { requests: series.count, errors: series.errors, latency: series.buckets.slice() },
    });
  }

  start(intervalMs = 1000): void {
    this.#timer ??= setInterval(() => void this.tick(), intervalMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#ticking;
  }

  /** One pass over every running plan; never overlaps itself. */
  tick(): Promise<void> {
    this.#ticking ??= this.#tickAll().finally(() => (this.#ticking = null));
    return this.#ticking;
  }

  /** The window of the current step: the feature's and the control's counts since the step started. */
  window(
    env: string,
    flag: string,
    variation: string,
    outVariation: string,
    sinceMs: number,
  ): { feature: SideCounts; control: SideCounts } {
    let feature = emptySide();
    let control = emptySide();
    for (const bin of this.#bins.get(binKey(env, flag)) ?? []) {
      if (bin.atMs < sinceMs) continue;
      if (bin.variation === variation) feature = addSides(feature, bin.counts);
      else if (bin.variation === outVariation) control = addSides(control, bin.counts);
    }
    return { feature, control };
  }

  async #tickAll(): Promise<void> {
    const active = await this.#deps.rollouts.active();
    for (const rollout of active) {
      if (rollout.state !== "running") continue;
      try {
        await this.#tickOne(rollout);
      } catch (error) {
        if (error instanceof RolloutMoved) continue;
        logger.warn({ err: error, rollout: rollout.id }, "flags: rollout tick failed; retrying next second");
      }
    }
    this.#prune(active);
  }

  async #tickOne(r: FlagRolloutRecord): Promise<void> {
    const now = this.#deps.clock.now();
    const { plan } = r;
    if ((plan.steps[r.step] ?? 100) >= 100) return this.#complete(r);
    const { feature, control } = this.window(r.env, r.flag, plan.variation, plan.outVariation, r.stepStartedAt);
    const options: Partial<JudgeOptions> = {
      minCanaryRequests: plan.minSamples,
      minStableRequests: plan.minSamples,
      ...this.#deps.judgeOptions,
    };
    const verdict = judge({ canary: feature, stable: control, guards: plan.guards, options }, this.#deps.clock);
    const percent = plan.steps[r.step] ?? 100;
    const business = await this.#business(r);
    if (verdict.decision === "fail") return this.#fail(r, verdict, percent, business, verdict.reason);
    const broken = business.find((b) => !b.holds);
    if (broken) return this.#fail(r, verdict, percent, business, describeBroken(broken, plan.variation, plan.outVariation));
    const held = now - r.stepStartedAt >= plan.everyMs;
    if (held && verdict.decision === "pass") return this.#advance(r, verdict, business);
    const waiting = held
      ? `held ${formatDuration(plan.everyMs)} but not passed yet: ${verdict.reason}`
      : `holding ${percent}% for ${Math.ceil((r.stepStartedAt + plan.everyMs - now) / 1000)}s more; ${verdict.decision}: ${verdict.reason}`;
    // The verdict is persisted when its decision changes, not every second: the evidence of each turn is kept.
    if (this.#lastDecision.get(r.id) !== `${r.step}:${verdict.decision}`) {
      this.#lastDecision.set(r.id, `${r.step}:${verdict.decision}`);
      await this.#deps.events.transact(async (trx) => {
        await this.#deps.rollouts.update(trx, r.id, {
          updatedAt: now,
          data: { ...r.data, message: waiting, verdict: verdictData(verdict), ...businessData(business) },
        });
      });
    }
  }

  /** Every business guard of the plan against the experiment's current totals (Bonferroni: α split over them). */
  async #business(r: FlagRolloutRecord): Promise<BusinessGuardCheck[]> {
    const guards = r.plan.businessGuards;
    if (guards.length === 0 || !this.#deps.business) return [];
    const alpha = (this.#deps.judgeOptions?.alpha ?? DEFAULT_JUDGE_OPTIONS.alpha) / guards.length;
    const checks: BusinessGuardCheck[] = [];
    for (const g of guards) {
      const totals = await this.#deps.business.totals(r.env, r.flag, g.event);
      checks.push(businessCheck(g, totals.get(r.plan.outVariation) ?? emptyTotals(), totals.get(r.plan.variation) ?? emptyTotals(), alpha));
    }
    return checks;
  }

  async #advance(r: FlagRolloutRecord, verdict: Verdict, business: BusinessGuardCheck[]): Promise<void> {
    const now = this.#deps.clock.now();
    const next = r.step + 1;
    const { plan } = r;
    const last = next >= plan.steps.length - 1;
    const before = await this.#state(r);
    const after = { ...before, fallthrough: planServe(plan, next) };
    const percent = plan.steps[next] ?? 100;
    await this.#deps.writer.apply(r.env, { target: "flag", flag: r.flag, before, after }, ENGINE, {
      keepPlan: true,
      reason: `guarded rollout ${r.id}: step ${next + 1} of ${plan.steps.length}`,
      also: async (trx, emit) => {
        await assertUnchanged(this.#deps.rollouts, trx, r);
        const message = last ? `completed: ${plan.variation} serves 100%` : `step ${next + 1} of ${plan.steps.length}: ${percent}%`;
        await this.#deps.rollouts.update(trx, r.id, {
          state: last ? "completed" : "running",
          step: next,
          stepStartedAt: now,
          updatedAt: now,
          data: { ...r.data, message, verdict: verdictData(verdict), ...businessData(business) },
        });
        await emit({
          type: "flag.rollout.step",
          env: r.env,
          actor: ENGINE,
          message: `rollout ${r.id} of ${r.flag} in ${r.env}: ${plan.steps[r.step]}% → ${percent}% (${verdict.reason})`,
          data: {
            flag: r.flag,
            rollout: r.id,
            from: plan.steps[r.step],
            to: percent,
            step: next + 1,
            verdict: verdictData(verdict),
            ...businessData(business),
          },
        });
        if (last)
          await emit({
            type: "flag.rollout.completed",
            env: r.env,
            actor: ENGINE,
            message: `rollout ${r.id} of ${r.flag} in ${r.env} completed: everyone gets ${plan.variation}`,
            data: { flag: r.flag, rollout: r.id },
          });
      },
    });
  }

  /** A step of 100 % leaves no control to compare with: reaching it is the end of the plan. */
  async #complete(r: FlagRolloutRecord): Promise<void> {
    const now = this.#deps.clock.now();
    await this.#deps.events.transact(async (trx, emit) => {
      await assertUnchanged(this.#deps.rollouts, trx, r);
      await this.#deps.rollouts.update(trx, r.id, {
        state: "completed",
        updatedAt: now,
        data: { ...r.data, message: `completed: ${r.plan.variation} serves 100%` },
      });
      await emit({
        type: "flag.rollout.completed",
        env: r.env,
        actor: ENGINE,
        message: `rollout ${r.id} of ${r.flag} in ${r.env} completed: everyone gets ${r.plan.variation}`,
        data: { flag: r.flag, rollout: r.id },
      });
    });
  }

  async #fail(r: FlagRolloutRecord, verdict: Verdict, percent: number, business: BusinessGuardCheck[], reason: string): Promise<void> {
    const now = this.#deps.clock.now();
    const evidence = verdictData(verdict);
    const guards = businessData(business);
    if (r.plan.onFail === "pause") {
      await this.#deps.events.transact(async (trx, emit) => {
        await assertUnchanged(this.#deps.rollouts, trx, r);
        await this.#deps.rollouts.update(trx, r.id, {
          state: "paused",
          updatedAt: now,
          data: { ...r.data, message: `paused at ${percent}%: ${reason}`, verdict: evidence, pausedBy: ENGINE, ...guards },
        });
        await emit({
          type: "flag.rollout.paused",
          env: r.env,
          actor: ENGINE,
          message: `rollout ${r.id} of ${r.flag} in ${r.env} paused at ${percent}%: ${reason}`,
          data: { flag: r.flag, rollout: r.id, percent, verdict: evidence, ...guards },
        });
      });
      return;
    }
    const before = await this.#state(r);
    await this.#deps.writer.apply(r.env, { target: "flag", flag: r.flag, before, after: { ...before, enabled: false } }, ENGINE, {
      keepPlan: true,
      event: "flag.killed",
      reason: `guard failed in rollout ${r.id}`,
      also: async (trx, emit) => {
        await assertUnchanged(this.#deps.rollouts, trx, r);
        await this.#deps.rollouts.update(trx, r.id, {
          state: "failed",
          updatedAt: now,
          data: { ...r.data, message: `failed at ${percent}%, flag turned off: ${reason}`, verdict: evidence, ...guards },
        });
        await emit({
          type: "flag.rollout.failed",
          env: r.env,
          actor: ENGINE,
          message: `rollout ${r.id} of ${r.flag} in ${r.env} failed at ${percent}% and the flag was turned off: ${reason}`,
          data: { flag: r.flag, rollout: r.id, percent, verdict: evidence, ...guards },
        });
      },
    });
  }

  async #state(r: FlagRolloutRecord) {
    const record = await this.#deps.store.state(r.flag, r.env);
    if (record) return stripRecord(record);
    const flag = await this.#deps.store.flag(r.flag);
    if (!flag) throw new Error(`flag ${r.flag} of rollout ${r.id} is gone`);
    return initialState(flag);
  }

  #prune(active: readonly FlagRolloutRecord[]): void {
    const now = this.#deps.clock.now();
    const oldestNeeded = new Map<string, number>();
    for (const r of active) {
      const key = binKey(r.env, r.flag);
      oldestNeeded.set(key, Math.min(oldestNeeded.get(key) ?? Infinity, r.stepStartedAt));
    }
    for (const [key, bins] of this.#bins) {
      const keepFrom = Math.max(oldestNeeded.get(key) ?? now, now - MAX_WINDOW_MS);
      const kept = bins.filter((b) => b.atMs >= keepFrom);
      if (kept.length === 0) this.#bins.delete(key);
      else if (kept.length !== bins.length) this.#bins.set(key, kept);
    }
  }
}

/** The plan was paused, stopped or moved by someone else since this tick read it: this tick's decision is void. */
class RolloutMoved extends Error {}

async function assertUnchanged(rollouts: FlagRolloutStore, trx: Db, r: FlagRolloutRecord): Promise<void> {
  const current = await rollouts.get(r.id, trx);
  if (current?.state !== r.state || current.step !== r.step) throw new RolloutMoved(`rollout ${r.id} changed meanwhile`);
}

function binKey(env: string, flag: string): string {
  return `${env}\u0000${flag}`;
}

export function businessCheck(g: BusinessGuard, control: VariationTotals, treatment: VariationTotals, alpha: number): BusinessGuardCheck {
  const result = ratioGuard(control, treatment, g.metric, g.ratio, alpha);
  return {
    guard: g.text,
    holds: result.holds,
    control: result.control,
    treatment: result.treatment,
    margin: result.margin,
    users: { control: control.exposed, treatment: treatment.exposed },
    alpha,
  };
}

function describeBroken(b: BusinessGuardCheck, variation: string, outVariation: string): string {
  const n = (x: number) => (Math.abs(x) < 10 ? x.toFixed(4) : x.toFixed(2));
  return (
    `business guard ${b.guard} failed: ${variation} ${n(b.treatment)} per user (${b.users.treatment} users) against ${outVariation} ` +
    `${n(b.control)} (${b.users.control} users); treatment − bound is ${n(b.margin.estimate)}, always-valid interval ` +
    `[${n(b.margin.low)}, ${n(b.margin.high)}] wholly below 0 (α ${b.alpha})`
  );
}

function businessData(business: BusinessGuardCheck[]): { businessGuards?: Array<Record<string, unknown>> } {
  return business.length === 0 ? {} : { businessGuards: business.map((b) => ({ ...b })) };
}

function verdictData(verdict: Verdict): Record<string, unknown> {
  return { decision: verdict.decision, reason: verdict.reason, checks: verdict.checks, at: verdict.at };
}
