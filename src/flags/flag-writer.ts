import type { Db } from "../db/database.ts";
import { formatDuration } from "../config/units.ts";
import type { Emit, EventLog } from "../events/event-log.ts";
import type { Clock } from "../shared/clock.ts";
import { conflict, notFound, RampartError } from "../shared/errors.ts";
import type { FlagAccessStore } from "./flag-access.store.ts";
import type { ChangeRequest, FlagChange, RolloutPlan } from "./flag-change.types.ts";
import type { FlagRolloutStore } from "./flag-rollout.store.ts";
import { initialState, uniformVariation } from "./flag-snapshot.ts";
import type { FlagSnapshots } from "./flag-snapshots.ts";
import type { FlagStore } from "./flag.store.ts";
import type { FlagEnvState, FlagRecord } from "./flag.types.ts";

export interface FlagWriterDeps {
  store: FlagStore;
  access: FlagAccessStore;
  rollouts: FlagRolloutStore;
  snapshots: FlagSnapshots;
  events: EventLog;
  clock: Clock;
  isProtected(env: string): boolean;
}

export type ChangeOutcome = { applied: true; version: number } | { applied: false; request: ChangeRequest };

export interface ApplyOptions {
  reason?: string;
  requestId?: number;
  /** The rollout engine's own steps keep its plan; every other change to the flag stops the plan (a person took over). */
  keepPlan?: boolean;
  /** More writes and events in the same transaction (the engine's progress, the evidence of a failed guard). */
  also?: (trx: Db, emit: Emit) => Promise<void>;
  /** flag.killed for the kill switch; flag.changed otherwise. */
  event?: "flag.changed" | "flag.killed";
}

/**
 * The one path by which flag state changes: each change commits with its event and the environment's version
 * bump, then the new snapshot is pushed to the SDK streams. In a protected environment a person's change becomes
 * a change request that someone else must approve.
 */
export class FlagWriter {
  readonly #deps: FlagWriterDeps;

  constructor(deps: FlagWriterDeps) {
    this.#deps = deps;
  }

  async submit(env: string, change: FlagChange, actor: string, reason?: string): Promise<ChangeOutcome> {
    if (!this.#deps.isProtected(env)) return { applied: true, version: await this.apply(env, change, actor, { reason }) };
    const now = this.#deps.clock.now();
    const request = await this.#deps.events.transact(async (trx, emit) => {
      const fields = { env, change, status: "pending" as const, requestedBy: actor, requestedAt: now, reason: reason ?? null };
      const id = await this.#deps.access.insertRequest(trx, fields);
      await emit({
        type: "flag.approval.requested",
        env,
        actor,
        message: `${actor} requests ${describe(change)} in ${env} (protected): approve with rampart flags approve ${id}`,
        data: { request: id, ...changeData(change), reason: reason ?? null },
      });
      return { id, ...fields, decidedBy: null, decidedAt: null };
    });
    return { applied: false, request };
  }

  async approve(id: number, actor: string): Promise<ChangeOutcome> {
    const request = await this.#pending(id);
    if (request.requestedBy === actor) {
      throw new RampartError("self_approval", `${actor} requested change ${id}: someone else must approve it`, {
        hint: "ask another person to run rampart flags approve",
      });
    }
    const version = await this.apply(request.env, request.change, actor, {
      reason: request.reason ?? undefined,
      requestId: id,
      also: async (trx, emit) => {
        await this.#deps.access.decide(trx, id, "applied", actor, this.#deps.clock.now());
        await emit({
          type: "flag.approval.approved",
          env: request.env,
          actor,
          message: `${actor} approved change ${id} by ${request.requestedBy}: ${describe(request.change)}`,
          data: { request: id, requestedBy: request.requestedBy, ...changeData(request.change) },
        });
      },
    });
    return { applied: true, version };
  }

  async reject(id: number, actor: string, reason?: string): Promise<ChangeRequest> {
    const request = await this.#pending(id);
    const now = this.#deps.clock.now();
    await this.#deps.events.transact(async (trx, emit) => {
      await this.#deps.access.decide(trx, id, "rejected", actor, now);
      await emit({
        type: "flag.approval.rejected",
        env: request.env,
        actor,
        message: `${actor} rejected change ${id} by ${request.requestedBy}${reason ? `: ${reason}` : ""}`,
        data: { request: id, requestedBy: request.requestedBy, reason: reason ?? null, ...changeData(request.change) },
      });
    });
    return { ...request, status: "rejected", decidedBy: actor, decidedAt: now };
  }

  /** Applies without approval; returns the environment's new snapshot version. */
  async apply(env: string, change: FlagChange, actor: string, options: ApplyOptions = {}): Promise<number> {
    const now = this.#deps.clock.now();
    const version = await this.#deps.events.transact(async (trx, emit) => {
      if (change.target === "segment") await this.#applySegment(trx, emit, env, change, actor, options);
      else {
        const flag = await this.#deps.store.flag(change.flag, trx);
        if (!flag) throw notFound(`flag "${change.flag}"`, "rampart flags list");
        const record = await this.#deps.store.state(flag.key, env, trx);
        const before: FlagEnvState = record ? stripRecord(record) : initialState(flag);
        if (change.target === "plan") await this.#startPlan(trx, emit, env, flag, before, change.plan, actor, now);
        else {
          if (canonical(before) !== canonical(change.before)) {
            throw conflict(
              "stale_change",
              `${flag.key} changed in ${env} since this change was made${options.requestId ? ` (request ${options.requestId})` : ""}: nothing applied`,
              `look at rampart flags get ${flag.key} --env ${env} and make the change again`,
            );
          }
          if (!options.keepPlan)
            await this.#stopPlan(
              trx,
              emit,
              env,
              flag.key,
              actor,
              options.event === "flag.killed" ? `${actor} killed the flag` : `${actor} changed the flag by hand`,
            );
          await this.#putState(trx, env, flag, before, change.after, record?.uniformSince ?? null, actor, now);
          const what =
            options.event === "flag.killed"
              ? `killed ${flag.key} in ${env}: everyone gets ${flag.offVariation}`
              : `changed ${flag.key} in ${env}: ${summarize(before, change.after)}`;
          await emit({
            type: options.event ?? "flag.changed",
            env,
            actor,
            message: `${actor} ${what}${options.reason ? ` (${options.reason})` : ""}`,
            data: { flag: flag.key, before, after: change.after, request: options.requestId ?? null, reason: options.reason ?? null },
          });
        }
      }
      await options.also?.(trx, emit);
      return this.#deps.store.bumpVersion(trx, env);
    });
    await this.#deps.snapshots.changed(env);
    return version;
  }

  async #putState(
    trx: Db,
    env: string,
    flag: FlagRecord,
    before: FlagEnvState,
    after: FlagEnvState,
    uniformSince: number | null,
    actor: string,
    now: number,
  ): Promise<void> {
    const was = uniformVariation(flag, before);
    const is = uniformVariation(flag, after);
    const since = is === null ? null : is === was && uniformSince !== null ? uniformSince : now;
    await this.#deps.store.putState(trx, { flag: flag.key, env, ...after, updatedAt: now, updatedBy: actor, uniformSince: since });
  }

  async #startPlan(
    trx: Db,
    emit: Emit,
    env: string,
    flag: FlagRecord,
    before: FlagEnvState,
    plan: RolloutPlan,
    actor: string,
    now: number,
  ): Promise<void> {
    if (!before.enabled)
      throw conflict(
        "flag_killed",
        `${flag.key} is killed in ${env}: a rollout would serve nobody`,
        `turn it back on first: rampart flags set ${flag.key} --env ${env} --enabled true`,
      );
    await this.#stopPlan(trx, emit, env, flag.key, actor, "a new rollout plan replaced it");
    const after: FlagEnvState = { ...before, fallthrough: planServe(plan, 0) };
    const id = await this.#deps.rollouts.insert(trx, {
      flag: flag.key,
      env,
      state: "running",
      plan,
      step: 0,
      stepStartedAt: now,
      createdBy: actor,
      createdAt: now,
      updatedAt: now,
      data: { message: `step 1 of ${plan.steps.length}: ${plan.steps[0]}%` },
    });
    await this.#putState(trx, env, flag, before, after, null, actor, now);
    await emit({
      type: "flag.rollout.started",
      env,
      actor,
      message: `${actor} started a guarded rollout of ${flag.key} in ${env}: ${plan.steps.join(" → ")}% every ${formatDuration(plan.everyMs)}, guards ${plan.guardText.join(", ") || "defaults"}, on failure ${plan.onFail}`,
      data: { flag: flag.key, rollout: id, plan },
    });
    await emit({
      type: "flag.changed",
      env,
      actor,
      message: `${actor} changed ${flag.key} in ${env}: ${summarize(before, after)} (rollout ${id} step 1)`,
      data: { flag: flag.key, before, after, rollout: id },
    });
  }

  async #stopPlan(trx: Db, emit: Emit, env: string, flag: string, actor: string, why: string): Promise<void> {
    for (const r of await this.#deps.rollouts.active(trx)) {
      if (r.flag !== flag || r.env !== env) continue;
      await this.#deps.rollouts.update(trx, r.id, {
        state: "stopped",
        updatedAt: this.#deps.clock.now(),
        data: { ...r.data, message: `stopped: ${why}` },
      });
      await emit({
        type: "flag.rollout.stopped",
        env,
        actor,
        message: `rollout ${r.id} of ${flag} in ${env} stopped at ${r.plan.steps[r.step]}%: ${why}`,
        data: { flag, rollout: r.id, step: r.step },
      });
    }
  }

  async #applySegment(
    trx: Db,
    emit: Emit,
    env: string,
    change: Extract<FlagChange, { target: "segment" }>,
    actor: string,
    options: ApplyOptions,
  ): Promise<void> {
    const current = (await this.#deps.store.segments(env, trx)).find((s) => s.key === change.segment);
    const before = current ? (({ key: _key, ...rest }) => rest)(current) : null;
    if (canonical(before) !== canonical(change.before))
      throw conflict(
        "stale_change",
        `segment ${change.segment} changed in ${env} since this change was made: nothing applied`,
        `rampart flags segments --env ${env}`,
      );
    if (change.after === null) await this.#deps.store.deleteSegment(trx, env, change.segment);
    else await this.#deps.store.putSegment(trx, env, { key: change.segment, ...change.after }, this.#deps.clock.now());
    await emit({
      type: "flag.segment_changed",
      env,
      actor,
      message: `${actor} ${change.after === null ? "deleted" : before === null ? "created" : "changed"} segment ${change.segment} in ${env}`,
      data: { segment: change.segment, before, after: change.after, request: options.requestId ?? null },
    });
  }

  async #pending(id: number): Promise<ChangeRequest> {
    const request = await this.#deps.access.request(id);
    if (!request) throw notFound(`change request ${id}`, "rampart flags requests");
    if (request.status !== "pending")
      throw conflict(
        "not_pending",
        `change request ${id} is already ${request.status}${request.decidedBy ? ` (by ${request.decidedBy})` : ""}`,
      );
    return request;
  }
}

/** The fallthrough that serves a plan's step: the feature to `steps[step]` % by the plan's key, the control to the rest. */
export function planServe(plan: RolloutPlan, step: number): FlagEnvState["fallthrough"] {
  return {
    rollout: {
      by: plan.by,
      percentage: plan.steps[step] ?? 100,
      variations: [{ variation: plan.variation, weight: 1 }],
      outVariation: plan.outVariation,
    },
  };
}

export function stripRecord(record: FlagEnvState): FlagEnvState {
  return { enabled: record.enabled, prerequisites: record.prerequisites, rules: record.rules, fallthrough: record.fallthrough };
}

/**
 * JSON with keys sorted by code point, at every depth: states read back from the store compare equal to the same
 * state built in code, and OFREP's bulk ETag does not depend on the order a client sent the context's keys in.
 */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>)
            .filter(([, x]) => x !== undefined)
            .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        )
      : v,
  );
}

export function describe(change: FlagChange): string {
  if (change.target === "segment") return `${change.after === null ? "deleting" : "setting"} segment ${change.segment}`;
  if (change.target === "plan") return `a guarded rollout of ${change.flag}: ${change.plan.steps.join(" → ")}%`;
  return `a change to ${change.flag}: ${summarize(change.before, change.after)}`;
}

function changeData(change: FlagChange): Record<string, unknown> {
  if (change.target === "segment") return { segment: change.segment, before: change.before, after: change.after };
  if (change.target === "plan") return { flag: change.flag, plan: change.plan };
  return { flag: change.flag, before: change.before, after: change.after };
}

/** One line naming what differs, e.g. "fallthrough 25% on by userId → 50% on by userId". */
export function summarize(before: FlagEnvState, after: FlagEnvState): string {
  const parts: string[] = [];
  if (before.enabled !== after.enabled) parts.push(after.enabled ? "turned on" : "killed");
  if (canonical(before.fallthrough) !== canonical(after.fallthrough))
    parts.push(`default ${serveText(before.fallthrough)} → ${serveText(after.fallthrough)}`);
  if (canonical(before.rules) !== canonical(after.rules)) parts.push(`rules ${before.rules.length} → ${after.rules.length}`);
  if (canonical(before.prerequisites) !== canonical(after.prerequisites))
    parts.push(`prerequisites ${before.prerequisites.length} → ${after.prerequisites.length}`);
  return parts.length > 0 ? parts.join(", ") : "no difference";
}

export function serveText(serve: FlagEnvState["fallthrough"]): string {
  if ("variation" in serve) return serve.variation;
  const r = serve.rollout;
  return `${r.percentage}% ${r.variations.map((v) => v.variation).join("/")} by ${r.by} (else ${r.outVariation})`;
}
