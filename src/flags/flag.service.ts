import { randomBytes } from "node:crypto";
import type { ManifestSource } from "../config/manifest-source.ts";
import type { EventLog } from "../events/event-log.ts";
import type { RampartEvent } from "../events/event.types.ts";
import type { Clock } from "../shared/clock.ts";
import { conflict, notFound, RampartError } from "../shared/errors.ts";
import type { EvaluationContext, Serve, Variation } from "../../packages/sdk/src/flag-data.ts";
import { evaluateFlag } from "../../packages/sdk/src/evaluator.ts";
import type { FlagAccessStore } from "./flag-access.store.ts";
import { isActiveRollout, type ChangeRequest } from "./flag-change.types.ts";
import { parsePlan } from "./flag-plan.ts";
import type { FlagRolloutStore } from "./flag-rollout.store.ts";
import { initialState } from "./flag-snapshot.ts";
import type { FlagSnapshots } from "./flag-snapshots.ts";
import { staleness } from "./flag-stale.ts";
import { assertValid, checkDefinition, checkSegment, checkState, type StateContext } from "./flag-validation.ts";
import { describe, serveText, stripRecord, type ChangeOutcome, type FlagWriter } from "./flag-writer.ts";
import type { FlagStore } from "./flag.store.ts";
import type { CreateFlagBody, EnvStatePatch, FlagEnvState, FlagRecord, PercentRolloutBody, PlanBody, SegmentBody } from "./flag.types.ts";
import type { ChangeRequestView, ChangeResult, EvaluationView, FlagEnvView, FlagView } from "./flag.view.ts";
import { toRolloutView } from "./flag-rollout.view.ts";
import { sha256 } from "./flag-sdk-auth.ts";

/** Path segments the API uses after /api/v1/flags/. */
const RESERVED_KEYS = new Set(["sdk"]);

export interface FlagServiceDeps {
  manifests: ManifestSource;
  store: FlagStore;
  access: FlagAccessStore;
  rollouts: FlagRolloutStore;
  snapshots: FlagSnapshots;
  writer: FlagWriter;
  events: EventLog;
  clock: Clock;
}

/** `rampart flags …`: definitions, per-environment targeting, kill switch, rollouts, approvals, history. */
export class FlagService {
  readonly #deps: FlagServiceDeps;

  constructor(deps: FlagServiceDeps) {
    this.#deps = deps;
  }

  environments(): string[] {
    return Object.keys(this.#deps.manifests.current.environments);
  }

  assertEnv(env: string): void {
    if (!Object.hasOwn(this.#deps.manifests.current.environments, env)) {
      throw new RampartError("unknown_environment", `environment "${env}" is not in ${this.#deps.manifests.path}`, {
        hint: `environments: ${this.environments().join(", ")}`,
      });
    }
  }

  isProtected(env: string): boolean {
    return this.#deps.manifests.current.environments[env]?.protected ?? false;
  }

  async list(env?: string): Promise<FlagView[]> {
    if (env !== undefined) this.assertEnv(env);
    const flags = await this.#deps.store.flags();
    return Promise.all(flags.map((flag) => this.#view(flag, env)));
  }

  async get(key: string, env?: string): Promise<FlagView> {
    if (env !== undefined) this.assertEnv(env);
    return this.#view(await this.#flag(key), env);
  }

  async create(body: CreateFlagBody, actor: string): Promise<FlagView> {
    const variations: Variation[] =
      body.type === "boolean"
        ? [
            { key: "on", value: true },
            { key: "off", value: false },
          ]
        : (body.variations ?? []);
    if (body.type === "boolean" && body.variations !== undefined) {
      assertValid(
        [{ field: "body.variations", message: "a boolean flag has the variations on (true) and off (false): leave variations out" }],
        "flag",
      );
    }
    if (body.type !== "boolean" && body.variations === undefined) {
      assertValid(
        [
          {
            field: "body.variations",
            message: `a ${body.type} flag needs at least two variations, e.g. [{"key":"control","value":…},{"key":"treatment","value":…}]`,
          },
        ],
        "flag",
      );
    }
    const offVariation = body.offVariation ?? (body.type === "boolean" ? "off" : (variations[0]?.key ?? ""));
    assertValid(checkDefinition({ type: body.type, variations, offVariation }), "flag");
    if (RESERVED_KEYS.has(body.key))
      assertValid([{ field: "body.key", message: `"${body.key}" is reserved by the API; choose another key` }], "flag");
    if (await this.#deps.store.flag(body.key))
      throw conflict("flag_exists", `flag "${body.key}" already exists`, `rampart flags get ${body.key}`);
    const now = this.#deps.clock.now();
    const flag: FlagRecord = {
      key: body.key,
      type: body.type,
      kind: body.kind,
      description: body.description,
      variations,
      offVariation,
      salt: randomBytes(8).toString("hex"),
      createdAt: now,
      createdBy: actor,
    };
    const envs = this.environments();
    await this.#deps.events.transact(async (trx, emit) => {
      await this.#deps.store.insertFlag(trx, flag);
      // Every environment gets it at once, serving its off variation: creating a flag changes what nobody sees.
      for (const env of envs) {
        await this.#deps.store.putState(trx, {
          flag: flag.key,
          env,
          ...initialState(flag),
          updatedAt: now,
          updatedBy: actor,
          uniformSince: now,
        });
        await this.#deps.store.bumpVersion(trx, env);
      }
      await emit({
        type: "flag.created",
        actor,
        message: `${actor} created ${flag.type} flag ${flag.key} (${flag.kind}), serving ${offVariation} everywhere`,
        data: { flag: flag.key, type: flag.type, kind: flag.kind, variations, offVariation },
      });
    });
    for (const env of envs) await this.#deps.snapshots.changed(env);
    return this.#view(flag);
  }

  async setState(key: string, env: string, patch: EnvStatePatch, actor: string): Promise<ChangeResult> {
    const { flag, before } = await this.#current(key, env);
    const after: FlagEnvState = {
      enabled: patch.enabled ?? before.enabled,
      prerequisites: patch.prerequisites ?? before.prerequisites,
      rules: patch.rules
        ? patch.rules.map((rule, i) => ({ id: rule.id ?? `rule-${i + 1}`, clauses: rule.clauses, serve: rule.serve }))
        : before.rules,
      fallthrough: patch.fallthrough ?? before.fallthrough,
    };
    assertValid(checkState(flag, after, await this.#context(env, key)), "flag state");
    return this.#submit(flag, env, { target: "flag", flag: key, before, after }, actor, patch.reason);
  }

  async percentRollout(key: string, env: string, body: PercentRolloutBody, actor: string): Promise<ChangeResult> {
    const { flag, before } = await this.#current(key, env);
    const { variation, outVariation } = this.#sides(flag, body.variation, body.outVariation);
    const fallthrough: Serve = {
      rollout: { by: body.by, percentage: body.percentage, variations: [{ variation, weight: 1 }], outVariation },
    };
    const after: FlagEnvState = { ...before, fallthrough };
    assertValid(checkState(flag, after, await this.#context(env, key)), "rollout");
    return this.#submit(flag, env, { target: "flag", flag: key, before, after }, actor, body.reason);
  }

  async startPlan(key: string, env: string, body: PlanBody, actor: string): Promise<ChangeResult> {
    const { flag } = await this.#current(key, env);
    const sides = this.#sides(flag, body.variation, body.outVariation);
    const plan = parsePlan(body, sides);
    return this.#submit(flag, env, { target: "plan", flag: key, plan }, actor, body.reason);
  }

  /**
   * Pause, resume or stop the guarded rollout in progress. None needs approval: pausing and stopping only hold
   * the flag where it is, and resuming continues a plan that was approved (its window starts again).
   */
  async controlPlan(key: string, env: string, action: "pause" | "resume" | "stop", actor: string, reason?: string): Promise<ChangeResult> {
    const { flag } = await this.#current(key, env);
    const rollout = await this.#deps.rollouts.latest(key, env);
    if (!rollout || !isActiveRollout(rollout.state))
      throw conflict(
        "no_rollout_in_progress",
        `no guarded rollout of ${key} is in progress in ${env}`,
        `start one: rampart flags rollout ${key} --env ${env} --plan 5,25,50,100 --every 1h`,
      );
    if (action === "pause" && rollout.state === "paused")
      throw conflict("already_paused", `rollout ${rollout.id} is already paused`, `rampart flags rollout ${key} --env ${env} resume`);
    if (action === "resume" && rollout.state === "running") throw conflict("not_paused", `rollout ${rollout.id} is running, not paused`);
    const now = this.#deps.clock.now();
    const state = action === "pause" ? "paused" : action === "resume" ? "running" : "stopped";
    const percent = rollout.plan.steps[rollout.step] ?? 100;
    const message = `${action === "stop" ? "stopped" : action === "pause" ? "paused" : "resumed"} by ${actor} at ${percent}%${reason ? `: ${reason}` : ""}`;
    await this.#deps.events.transact(async (trx, emit) => {
      await this.#deps.rollouts.update(trx, rollout.id, {
        state,
        updatedAt: now,
        stepStartedAt: action === "resume" ? now : undefined,
        data: { ...rollout.data, message, pausedBy: action === "pause" ? actor : undefined },
      });
      const type = action === "pause" ? "flag.rollout.paused" : action === "resume" ? "flag.rollout.resumed" : "flag.rollout.stopped";
      await emit({
        type,
        env,
        actor,
        message: `rollout ${rollout.id} of ${key} in ${env} ${message}`,
        data: { flag: key, rollout: rollout.id, percent, reason: reason ?? null },
      });
    });
    return {
      applied: true,
      version: null,
      request: null,
      flag: await this.#view(flag, env),
      message: `rollout ${rollout.id} of ${key} ${message}`,
    };
  }

  /** The kill switch never waits for approval: turning a feature off only ever reduces who gets it. */
  async kill(key: string, env: string, actor: string, reason?: string): Promise<ChangeResult> {
    const { flag, before } = await this.#current(key, env);
    if (!before.enabled)
      throw conflict(
        "already_killed",
        `${key} is already killed in ${env}`,
        `turn it back on with rampart flags set ${key} --env ${env} --enabled true`,
      );
    const version = await this.#deps.writer.apply(env, { target: "flag", flag: key, before, after: { ...before, enabled: false } }, actor, {
      reason,
      event: "flag.killed",
    });
    return {
      applied: true,
      version,
      request: null,
      flag: await this.#view(flag, env),
      message: `${key} is off in ${env}: every SDK gets ${flag.offVariation} (pushed as snapshot ${version}). Turn it back on with rampart flags set ${key} --env ${env} --enabled true`,
    };
  }

  async evaluate(key: string, env: string, context: EvaluationContext): Promise<EvaluationView> {
    this.assertEnv(env);
    const compiled = await this.#deps.snapshots.compiled(env);
    return { ...evaluateFlag(compiled, key, context), version: compiled.version };
  }

  async history(key: string, env: string | undefined, limit: number): Promise<RampartEvent[]> {
    await this.#flag(key);
    const events = await this.#deps.events.query({ type: "flag.", env, limit: 10_000 });
    return events.filter((e) => e.data.flag === key).slice(-limit);
  }

  async segments(env: string) {
    this.assertEnv(env);
    return this.#deps.store.segments(env);
  }

  async setSegment(env: string, key: string, body: SegmentBody | null, actor: string): Promise<ChangeResult> {
    this.assertEnv(env);
    const segments = await this.#deps.store.segments(env);
    const current = segments.find((s) => s.key === key);
    if (body === null && !current) throw notFound(`segment "${key}" in ${env}`, `rampart flags segments --env ${env}`);
    if (body === null) {
      // A rule naming a deleted segment would silently never match: refuse while anything uses it.
      const users = [...(await this.#deps.store.states(env))]
        .filter(([, st]) =>
          st.rules.some((r) =>
            r.clauses.some((c) => (c.operator === "in_segment" || c.operator === "not_in_segment") && c.values.includes(key)),
          ),
        )
        .map(([flagKey]) => flagKey);
      const nested = segments
        .filter((s) => s.rules.some((r) => r.clauses.some((c) => c.values.includes(key) && c.operator.endsWith("_segment"))))
        .map((s) => `segment ${s.key}`);
      if (users.length + nested.length > 0)
        throw conflict(
          "segment_in_use",
          `segment ${key} is used in ${env} by ${[...users, ...nested].join(", ")}`,
          "remove it from their rules first",
        );
    }
    const before = current ? { by: current.by, included: current.included, excluded: current.excluded, rules: current.rules } : null;
    const after = body === null ? null : { by: body.by, included: body.included, excluded: body.excluded, rules: body.rules };
    if (after) assertValid(checkSegment(after, new Set(segments.map((s) => s.key).filter((k) => k !== key))), "segment");
    const outcome = await this.#deps.writer.submit(env, { target: "segment", segment: key, before, after }, actor, body?.reason);
    return this.#result(outcome, null, env, `segment ${key}`);
  }

  async requests(env?: string, status?: ChangeRequest["status"]): Promise<ChangeRequestView[]> {
    if (env !== undefined) this.assertEnv(env);
    return (await this.#deps.access.requests({ env, status })).map(requestView);
  }

  async approve(id: number, actor: string): Promise<ChangeResult> {
    const request = await this.#deps.access.request(id);
    const outcome = await this.#deps.writer.approve(id, actor);
    const flag = request && request.change.target !== "segment" ? await this.#deps.store.flag(request.change.flag) : undefined;
    return this.#result(outcome, flag ?? null, request?.env ?? "", request ? describe(request.change) : `request ${id}`);
  }

  async reject(id: number, actor: string, reason?: string): Promise<ChangeRequestView> {
    return requestView(await this.#deps.writer.reject(id, actor, reason));
  }

  async createToken(env: string, actor: string): Promise<{ token: string; env: string }> {
    this.assertEnv(env);
    const token = `rsdk_${env}_${randomBytes(16).toString("hex")}`;
    await this.#deps.events.transact(async (trx, emit) => {
      await this.#deps.access.insertToken(trx, sha256(token), env, this.#deps.clock.now(), actor);
      await emit({
        type: "flag.token_created",
        env,
        actor,
        message: `${actor} created an SDK token for ${env}`,
        data: { prefix: token.slice(0, token.length - 28) },
      });
    });
    return { token, env };
  }

  async #submit(
    flag: FlagRecord,
    env: string,
    change: Parameters<FlagWriter["submit"]>[1],
    actor: string,
    reason?: string,
  ): Promise<ChangeResult> {
    return this.#result(await this.#deps.writer.submit(env, change, actor, reason), flag, env, describe(change));
  }

  async #result(outcome: ChangeOutcome, flag: FlagRecord | null, env: string, what: string): Promise<ChangeResult> {
    const view = flag ? await this.#view(flag, env) : null;
    if (outcome.applied)
      return {
        applied: true,
        version: outcome.version,
        request: null,
        flag: view,
        message: `applied in ${env}: ${what} (snapshot ${outcome.version} pushed to SDKs)`,
      };
    const request = requestView(outcome.request);
    return {
      applied: false,
      version: null,
      request,
      flag: view,
      message: `${env} is protected: change request ${request.id} awaits approval by someone other than ${request.requestedBy} (rampart flags approve ${request.id})`,
    };
  }

  #sides(flag: FlagRecord, variation?: string, outVariation?: string): { variation: string; outVariation: string } {
    const feature = variation ?? (flag.type === "boolean" ? "on" : undefined);
    if (feature === undefined)
      assertValid(
        [
          {
            field: "body.variation",
            message: `name the variation users in the rollout get (one of ${flag.variations.map((v) => v.key).join(", ")})`,
          },
        ],
        "rollout",
      );
    const sides = { variation: feature ?? "", outVariation: outVariation ?? flag.offVariation };
    const keys = new Set(flag.variations.map((v) => v.key));
    assertValid(
      [
        ...(keys.has(sides.variation)
          ? []
          : [{ field: "body.variation", message: `"${sides.variation}" is not a variation of ${flag.key} (${[...keys].join(", ")})` }]),
        ...(keys.has(sides.outVariation)
          ? []
          : [
              {
                field: "body.outVariation",
                message: `"${sides.outVariation}" is not a variation of ${flag.key} (${[...keys].join(", ")})`,
              },
            ]),
        ...(sides.variation === sides.outVariation && keys.has(sides.variation)
          ? [
              {
                field: "body.variation",
                message: `the rollout's variation and outVariation are both "${sides.variation}": nothing would change`,
              },
            ]
          : []),
      ],
      "rollout",
    );
    return sides;
  }

  async #flag(key: string): Promise<FlagRecord> {
    const flag = await this.#deps.store.flag(key);
    if (!flag) throw notFound(`flag "${key}"`, `create it with rampart flags create ${key}`);
    return flag;
  }

  async #current(key: string, env: string): Promise<{ flag: FlagRecord; before: FlagEnvState }> {
    this.assertEnv(env);
    const flag = await this.#flag(key);
    const record = await this.#deps.store.state(key, env);
    return { flag, before: record ? stripRecord(record) : initialState(flag) };
  }

  async #context(env: string, self: string): Promise<StateContext> {
    const [flags, states, segments] = await Promise.all([
      this.#deps.store.flags(),
      this.#deps.store.states(env),
      this.#deps.store.segments(env),
    ]);
    return {
      segments: new Set(segments.map((s) => s.key)),
      flags: new Map(flags.map((f) => [f.key, f.variations])),
      prerequisites: new Map([...states].filter(([k]) => k !== self).map(([k, s]) => [k, s.prerequisites])),
    };
  }

  async #view(flag: FlagRecord, only?: string): Promise<FlagView> {
    const now = this.#deps.clock.now();
    const usage = await this.#deps.access.usage(only);
    const environments: FlagEnvView[] = [];
    for (const env of only === undefined ? this.environments() : [only]) {
      const record = await this.#deps.store.state(flag.key, env);
      const state = record ? stripRecord(record) : initialState(flag);
      const rollout = await this.#deps.rollouts.latest(flag.key, env);
      environments.push({
        env,
        enabled: state.enabled,
        serving: state.enabled
          ? serveText(state.fallthrough) + (state.rules.length > 0 ? ` (+${state.rules.length} rules)` : "")
          : `${flag.offVariation} (killed)`,
        prerequisites: state.prerequisites,
        rules: state.rules,
        fallthrough: state.fallthrough,
        updatedAt: record?.updatedAt ?? null,
        updatedBy: record?.updatedBy ?? null,
        protected: this.isProtected(env),
        stale: staleness(
          flag,
          record,
          usage.filter((u) => u.flag === flag.key && u.env === env),
          now,
        ),
        rollout: rollout ? toRolloutView(rollout) : null,
      });
    }
    return {
      key: flag.key,
      type: flag.type,
      kind: flag.kind,
      description: flag.description,
      variations: flag.variations,
      offVariation: flag.offVariation,
      createdAt: flag.createdAt,
      createdBy: flag.createdBy,
      environments,
    };
  }
}

function requestView(r: ChangeRequest): ChangeRequestView {
  return {
    id: r.id,
    env: r.env,
    status: r.status,
    summary: describe(r.change),
    change: r.change,
    requestedBy: r.requestedBy,
    requestedAt: r.requestedAt,
    reason: r.reason,
    decidedBy: r.decidedBy,
    decidedAt: r.decidedAt,
  };
}
