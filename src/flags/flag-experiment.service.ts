import { userHash, userKeyOf } from "../../packages/sdk/src/user-hash.ts";
import { EventTracker } from "../../packages/sdk/src/event-tracker.ts";
import type { EvaluationContext } from "../../packages/sdk/src/flag-data.ts";
import {
  addTotals,
  compare,
  conversion,
  decide,
  emptyTotals,
  eventsPerUser,
  sampleRatioCheck,
  valuePerUser,
  type VariationTotals,
} from "../analysis/experiment-stats.ts";
import type { Db } from "../db/database.ts";
import type { EventLog } from "../events/event-log.ts";
import type { Clock } from "../shared/clock.ts";
import { notFound } from "../shared/errors.ts";
import { logger } from "../shared/logger.ts";
import { dayOf, type FlagExperimentStore, type Exposure, type TrackedEvent } from "./flag-experiment.store.ts";
import { retentionOf } from "./flag-retention.ts";
import type { ExperimentResults, VariationDay } from "./flag-experiment.view.ts";
import type { FlagSnapshots } from "./flag-snapshots.ts";
import type { FlagStore } from "./flag.store.ts";

export interface ExperimentLimits {
  /** An event counts for a flag only within this long after the user's first exposure (default 30 days). */
  attributionWindowMs: number;
  /** Exposed users kept per flag and environment; later users are not enrolled (bounded storage). */
  maxUsersPerFlag: number;
}

export const DEFAULT_EXPERIMENT_LIMITS: ExperimentLimits = { attributionWindowMs: 30 * 86_400_000, maxUsersPerFlag: 1_000_000 };

/** "Returned after N days" is reported for these N unless asked otherwise: the next day, and a week later. */
export const DEFAULT_RETENTION_DAYS: readonly number[] = [1, 7];

/** How far an SDK's own timestamps are believed: a batch is at most this old (and never in the future). */
const MAX_SDK_AGE_MS = 86_400_000;

/**
 * Business events per variation: exposures (from SDKs) enrol a hashed user in the variation first served, and
 * events that user sends afterwards, within the attribution window, count for that variation.
 */
export class FlagExperimentService {
  readonly #store: FlagExperimentStore;
  readonly #flags: FlagStore;
  readonly #snapshots: FlagSnapshots;
  readonly #events: EventLog;
  readonly #clock: Clock;
  readonly #limits: ExperimentLimits;
  readonly #enrolled = new Map<string, number>();
  /** Per environment, exposures of server-side (OFREP) evaluations waiting to be written: bounded, once per user and day. */
  readonly #served = new Map<string, EventTracker>();
  #flushTimer: NodeJS.Timeout | undefined;

  constructor(deps: {
    store: FlagExperimentStore;
    flags: FlagStore;
    snapshots: FlagSnapshots;
    events: EventLog;
    clock: Clock;
    limits?: Partial<ExperimentLimits>;
  }) {
    this.#store = deps.store;
    this.#flags = deps.flags;
    this.#snapshots = deps.snapshots;
    this.#events = deps.events;
    this.#clock = deps.clock;
    this.#limits = { ...DEFAULT_EXPERIMENT_LIMITS, ...deps.limits };
  }

  /**
   * A server-side evaluation (OFREP) served `variation` to this context: an exposure, as the SDK would report it
   * (the key hashed at once, once per user, flag and day, bounded queue). Written within a second, and before any
   * event of the same environment is ingested, so an event right after its evaluation is still attributed.
   */
  served(env: string, flag: string, variation: string, context: EvaluationContext): void {
    let tracker = this.#served.get(env);
    if (!tracker) this.#served.set(env, (tracker = new EventTracker(() => this.#clock.now())));
    tracker.expose(flag, variation, context);
  }

  /** Writes the server-side exposures waiting (of one environment, or all). */
  async flushServed(env?: string): Promise<void> {
    for (const [e, tracker] of this.#served) {
      if (env !== undefined && e !== env) continue;
      const batch = tracker.take();
      if (!batch) continue;
      try {
        await this.#ingestSdkBatch(e, batch);
      } catch (error) {
        tracker.restore(batch);
        throw error;
      }
    }
  }

  start(intervalMs = 1000): void {
    this.#flushTimer ??= setInterval(() => {
      this.flushServed().catch((error: unknown) => logger.warn({ err: error }, "flags: writing OFREP exposures failed; retrying"));
    }, intervalMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.#flushTimer);
    this.#flushTimer = undefined;
    await this.flushServed();
  }

  /** The SDK's batch: exposures and events already hashed, timed by the SDK (clamped to the last day). */
  async ingestSdk(
    env: string,
    body: {
      exposures: Array<{ flag: string; variation: string; user: string; atMs: number }>;
      events: Array<{ key: string; user: string; atMs: number; value?: number | undefined }>;
    },
  ): Promise<{ exposures: number; events: number; attributed: number }> {
    await this.flushServed(env);
    return this.#ingestSdkBatch(env, body);
  }

  async #ingestSdkBatch(
    env: string,
    body: {
      exposures: Array<{ flag: string; variation: string; user: string; atMs: number }>;
      events: Array<{ key: string; user: string; atMs: number; value?: number | undefined }>;
    },
  ): Promise<{ exposures: number; events: number; attributed: number }> {
    const now = this.#clock.now();
    const at = (ms: number) => Math.min(now, Math.max(now - MAX_SDK_AGE_MS, ms));
    const exposures = body.exposures.map((e) => ({ flag: e.flag, variation: e.variation, user: e.user, at: at(e.atMs) }));
    const events = body.events.map((e) => ({ metric: e.key, user: e.user, at: at(e.atMs), value: e.value ?? 0 }));
    return this.#ingest(env, exposures, events);
  }

  /** The public HTTP shape: raw contexts, hashed here and never stored; timed at arrival. */
  async ingestHttp(
    env: string,
    events: Array<{ key: string; context: EvaluationContext; value?: number | undefined }>,
  ): Promise<{ accepted: number; attributed: number; withoutKey: number }> {
    await this.flushServed(env);
    const now = this.#clock.now();
    const tracked: TrackedEvent[] = [];
    let withoutKey = 0;
    for (const e of events) {
      const key = userKeyOf(e.context);
      if (key === undefined) withoutKey++;
      else tracked.push({ metric: e.key, user: userHash(key), at: now, value: e.value ?? 0 });
    }
    const result = await this.#ingest(env, [], tracked);
    return { accepted: tracked.length, attributed: result.attributed, withoutKey };
  }

  async #ingest(
    env: string,
    exposures: Exposure[],
    events: TrackedEvent[],
  ): Promise<{ exposures: number; events: number; attributed: number }> {
    const compiled = await this.#snapshots.compiled(env);
    const known = exposures.filter((e) => compiled.flags.has(e.flag));
    // Exposures first: a batch carrying a user's first exposure and their purchase attributes the purchase.
    const ordered = [...events].sort((a, b) => a.at - b.at);
    let newExposures = 0;
    let attributed = 0;
    // Inside the transaction every query goes through trx: SQLite has one connection, another query would wait forever.
    // No event: these are measurements of users' behaviour, not changes anyone makes (eventless, see migrations.ts).
    await this.#events.transact(async (trx: Db) => {
      for (const e of known) {
        const id = `${env}\u0000${e.flag}`;
        const enrolled = this.#enrolled.get(id) ?? (await this.#store.exposedUsers(env, e.flag, trx));
        if (enrolled >= this.#limits.maxUsersPerFlag) continue;
        if (await this.#store.addExposure(trx, env, e)) {
          newExposures++;
          this.#enrolled.set(id, enrolled + 1);
        } else this.#enrolled.set(id, enrolled);
      }
      for (const e of ordered) {
        for (const x of await this.#store.exposuresOf(trx, env, e.user)) {
          if (x.at > e.at) continue;
          // Any event after the exposure tells that the user came back (retention), attributed or not.
          if (dayOf(e.at) > dayOf(x.at)) await this.#store.markSeen(trx, env, x.flag, e.user, e.at);
          if (e.at - x.at > this.#limits.attributionWindowMs) continue;
          await this.#store.addConversion(trx, env, x.flag, x.variation, e);
          attributed++;
        }
      }
    });
    return { exposures: newExposures, events: ordered.length, attributed };
  }

  /** Metrics tracked for a flag, most events first. */
  metrics(env: string, flag: string): Promise<string[]> {
    return this.#store.metrics(env, flag);
  }

  /** Cumulative totals per variation of one event (the business guards of rollout plans read these). */
  async totals(env: string, flag: string, event: string): Promise<Map<string, VariationTotals>> {
    const totals = new Map<string, VariationTotals>();
    for (const r of await this.#store.days(env, flag, event))
      totals.set(r.variation, addTotals(totals.get(r.variation) ?? emptyTotals(), r));
    return totals;
  }

  /** Per variation and day (cumulative), the comparison against control on the last day, and the sample-ratio check. */
  async results(
    flag: string,
    env: string,
    options: {
      metric?: string | undefined;
      control?: string | undefined;
      split?: Record<string, number> | undefined;
      alpha: number;
      targetEffect: number;
      /** N of "returned after N days" (default 1 and 7). */
      retentionDays?: readonly number[] | undefined;
    },
  ): Promise<ExperimentResults> {
    const record = await this.#flags.flag(flag);
    if (!record) throw notFound(`flag "${flag}"`, "list flags with: rampart flags list");
    await this.flushServed(env);
    const metric = options.metric ?? (await this.#store.metrics(env, flag))[0];
    const rows = await this.#store.days(env, flag, metric);
    const variations = [...new Set(rows.map((r) => r.variation))].sort();
    const control =
      options.control ?? (variations.includes(record.offVariation) ? record.offVariation : (variations[0] ?? record.offVariation));
    const running = new Map<string, VariationTotals>(variations.map((v) => [v, emptyTotals()]));
    const days: ExperimentResults["days"] = [];
    for (const day of [...new Set(rows.map((r) => r.day))]) {
      for (const r of rows.filter((x) => x.day === day)) running.set(r.variation, addTotals(running.get(r.variation) ?? emptyTotals(), r));
      const controlTotals = running.get(control) ?? emptyTotals();
      days.push({
        day: new Date(day * 86_400_000).toISOString().slice(0, 10),
        variations: variations.map((v): VariationDay => {
          const t = running.get(v) ?? emptyTotals();
          return {
            variation: v,
            exposed: t.exposed,
            converted: t.converted,
            events: t.events,
            conversion: conversion(t, options.alpha),
            eventsPerUser: eventsPerUser(t, options.alpha),
            valuePerUser: valuePerUser(t, options.alpha),
            decision: v === control ? null : decide(controlTotals, t, "conversion", options.alpha),
          };
        }),
      });
    }
    const controlTotals = running.get(control) ?? emptyTotals();
    const compareOptions = { alpha: options.alpha, targetEffect: options.targetEffect };
    const comparisons = variations
      .filter((v) => v !== control)
      .map((v) => {
        const t = running.get(v) ?? emptyTotals();
        return {
          variation: v,
          conversion: compare(controlTotals, t, "conversion", compareOptions),
          eventsPerUser: compare(controlTotals, t, "events", compareOptions),
          valuePerUser: compare(controlTotals, t, "value", compareOptions),
        };
      });
    const sampleRatio = await this.#sampleRatio(flag, env, variations, running, options.split);
    const retentionDays = options.retentionDays ?? DEFAULT_RETENTION_DAYS;
    const retention = retentionOf(await this.#store.cohorts(env, flag, retentionDays), {
      afterDays: retentionDays,
      today: dayOf(this.#clock.now()),
      control,
      alpha: options.alpha,
    });
    return {
      flag,
      env,
      metric: metric ?? null,
      control,
      alpha: options.alpha,
      targetEffect: options.targetEffect,
      attributionWindowDays: this.#limits.attributionWindowMs / 86_400_000,
      days,
      comparisons,
      sampleRatio,
      retention,
    };
  }

  /**
   * Observed split against the configured one. Without --split: the rollout the flag serves now, compared with
   * the users first exposed since its targeting last changed (a ramp from 5% to 50% is not a mismatch).
   */
  async #sampleRatio(
    flag: string,
    env: string,
    variations: string[],
    running: Map<string, VariationTotals>,
    split: Record<string, number> | undefined,
  ): Promise<ExperimentResults["sampleRatio"]> {
    if (split) {
      const exposed = Object.fromEntries(variations.map((v) => [v, running.get(v)?.exposed ?? 0]));
      return { ...sampleRatioCheck(exposed, split), source: "--split, all exposed users" };
    }
    const state = await this.#flags.state(flag, env);
    if (!state || !("rollout" in state.fallthrough)) return null;
    const r = state.fallthrough.rollout;
    const total = r.variations.reduce((s, v) => s + v.weight, 0);
    const configured: Record<string, number> = {};
    for (const v of r.variations) configured[v.variation] = (configured[v.variation] ?? 0) + (r.percentage / 100) * (v.weight / total);
    configured[r.outVariation] = (configured[r.outVariation] ?? 0) + (1 - r.percentage / 100);
    const exposed = await this.#store.exposedSince(env, flag, state.updatedAt);
    return {
      ...sampleRatioCheck(exposed, configured),
      source: `the ${r.percentage}% rollout, users first exposed since ${new Date(state.updatedAt).toISOString()}`,
    };
  }
}
