import type { EventLog } from "../events/event-log.ts";
import type { NewEvent } from "../events/event.types.ts";
import type { TimerClock } from "../shared/clock.ts";
import { errorMessage } from "../shared/errors.ts";
import { logger } from "../shared/logger.ts";
import { type AlertTarget, evaluateCondition, type Measurements } from "./alert-expr.eval.ts";
import { type AlertRule, expandTemplate, type RuleInputs, rulesByApp } from "./alert-rules.ts";
import { evaluateRound, type Observation, type Transition } from "./alert-state.ts";
import type { AlertStore } from "./alert.store.ts";
import type { AlertInstance, AlertNotifier } from "./alert.types.ts";
import { canaryToAbort, type DeployContext, deployLabels } from "./deploy-context.ts";
import { type PeriodicLoop, periodicLoop } from "../shared/periodic-loop.ts";

export const DEFAULT_EVAL_INTERVAL_MS = 5000;

export interface AlertEvaluatorDeps {
  events: EventLog;
  clock: TimerClock;
  store: AlertStore;
  notifier: AlertNotifier;
  /** The rules' sources: the manifest as it is now and the API's rules. */
  ruleInputs(): Promise<RuleInputs>;
  /** Every app × environment of the manifest. */
  targets(): AlertTarget[];
  /** Measurements as of `now` (one object per round: it may cache what several rules read). */
  measurements(now: number): Measurements;
  /** Called after every round: baselines the rules read are fetched outside the round's time budget. */
  afterRound?(): Promise<void>;
  deployments(): Promise<DeployContext[]>;
  /** Rolls a canary back (the releases service's rollout abort), with the evidence for its event. */
  abortCanary(env: string, app: string, reason: string, evidence: Record<string, unknown>): Promise<void>;
  intervalMs?: number;
}

export interface RoundReport {
  at: number;
  /** Rule × app × environment evaluations in the round. */
  evaluations: number;
  targets: number;
  transitions: Transition[];
  notified: number;
  evaluateMs: number;
}

/**
 * Evaluates every rule of every app each `intervalMs` (5 s): pending → firing after `for` → resolved, each
 * transition written with its alert.* event, active alerts kept in the database so a restarted control plane
 * goes on where it was (a pending alert keeps counting its `for` from when it began). The notifier hears every
 * firing alert and every newly resolved one each round; a critical alert during a canary rolls it back.
 */
export class AlertEvaluator {
  readonly #deps: AlertEvaluatorDeps;
  #active = new Map<string, AlertInstance>();
  #loaded: Promise<void> | null = null;
  readonly #loop: PeriodicLoop;
  readonly #aborted = new Set<number>();

  constructor(deps: AlertEvaluatorDeps) {
    this.#deps = deps;
    // One failed round (a busy database) must not stop alerting: the next round tries again.
    this.#loop = periodicLoop(
      deps.clock,
      () => this.intervalMs,
      async () => {
        await this.round();
        await this.afterRound();
      },
      (error) => logger.warn({ err: error }, "alert evaluation round failed"),
    );
  }

  get intervalMs(): number {
    return this.#deps.intervalMs ?? DEFAULT_EVAL_INTERVAL_MS;
  }

  /** Active alerts as of the last round (pending and firing), with their latest values. */
  async active(): Promise<AlertInstance[]> {
    await this.#load();
    return [...this.#active.values()].sort((a, b) => a.activeAt - b.activeAt || a.fingerprint.localeCompare(b.fingerprint));
  }

  async rules(): Promise<Map<string, AlertRule[]>> {
    return rulesByApp(await this.#deps.ruleInputs());
  }

  start(): void {
    this.#loop.start();
  }

  stop(): Promise<void> {
    return this.#loop.stop();
  }

  /** Outside a round's time budget: fetches the baselines the rules read (long windows, from the rollups). */
  async afterRound(): Promise<void> {
    await this.#deps.afterRound?.();
  }

  async round(): Promise<RoundReport> {
    await this.#load();
    const now = this.#deps.clock.now();
    const [inputs, deployments] = await Promise.all([this.#deps.ruleInputs(), this.#deps.deployments()]);
    const contexts = new Map(deployments.map((d) => [`${d.env}\u0000${d.app}`, d]));
    const t0 = performance.now();
    const rules = rulesByApp(inputs);
    const targets = this.#deps.targets();
    const observations = observe(rules, targets, this.#deps.measurements(now), contexts);
    const result = evaluateRound(this.#active, observations, now);
    const evaluateMs = performance.now() - t0;
    if (result.transitions.length > 0) await this.#persist(result.transitions);
    this.#active = result.active;
    await this.#rollBackCanaries(result.active, contexts);
    // Every round, even an empty one: the notifier's group timers run on these calls.
    try {
      await this.#deps.notifier.notify(result.notify, now);
    } catch (error) {
      logger.warn({ err: error }, "the alert notifier failed; firing alerts are handed over again next round");
    }
    let evaluations = 0;
    for (const target of targets) evaluations += rules.get(target.app)?.length ?? 0;
    return {
      at: now,
      evaluations,
      targets: targets.length,
      transitions: result.transitions,
      notified: result.notify.length,
      evaluateMs,
    };
  }

  /** Once, shared by whoever asks first (a round, or the API's `active`). */
  #load(): Promise<void> {
    this.#loaded ??= this.#deps.store.active().then((alerts) => {
      for (const alert of alerts) this.#active.set(alert.fingerprint, alert);
    });
    return this.#loaded;
  }

  async #persist(transitions: Transition[]): Promise<void> {
    await this.#deps.events.transact(async (trx, emit) => {
      for (const t of transitions) {
        if (t.to === "resolved") await this.#deps.store.remove(trx, t.instance.fingerprint);
        else await this.#deps.store.put(trx, t.instance);
        await emit(transitionEvent(t));
      }
    });
  }

  async #rollBackCanaries(active: Map<string, AlertInstance>, contexts: Map<string, DeployContext>): Promise<void> {
    for (const alert of active.values()) {
      const context = contexts.get(`${alert.labels.env}\u0000${alert.labels.app}`);
      const rollout = canaryToAbort(alert, context);
      if (!rollout || this.#aborted.has(rollout.id) || !context) continue;
      this.#aborted.add(rollout.id);
      const evidence = {
        alert: alert.rule,
        fingerprint: alert.fingerprint,
        severity: alert.labels.severity,
        value: Number.isFinite(alert.value) ? alert.value : null,
        labels: alert.labels,
        summary: alert.annotations.summary ?? null,
        activeAt: alert.activeAt,
        firedAt: alert.firedAt,
      };
      const reason = `critical alert ${alert.rule} fired during the canary${alert.annotations.summary ? `: ${alert.annotations.summary}` : ""}`;
      try {
        await this.#deps.abortCanary(context.env, context.app, reason, evidence);
      } catch (error) {
        // The rollout may have ended between the read and the abort: nothing to roll back then.
        logger.warn(`could not roll back the canary of ${context.app} in ${context.env}: ${errorMessage(error)}`);
      }
    }
  }
}

function observe(
  rules: Map<string, AlertRule[]>,
  targets: AlertTarget[],
  measurements: Measurements,
  contexts: Map<string, DeployContext>,
): Observation[] {
  const observations: Observation[] = [];
  for (const target of targets) {
    const deploy = deployLabels(contexts.get(`${target.env}\u0000${target.app}`));
    for (const rule of rules.get(target.app) ?? []) {
      const { holds, value } = evaluateCondition(rule.condition, target, measurements);
      if (!holds) continue;
      const labels = { ...rule.labels, ...deploy, env: target.env, app: target.app, alertname: rule.name, severity: rule.severity };
      const annotations: Record<string, string> = {};
      for (const [k, v] of Object.entries(rule.annotations)) annotations[k] = expandTemplate(v, labels, value);
      observations.push({ rule: rule.name, forMs: rule.forMs, labels, annotations, holds, value });
    }
  }
  return observations;
}

function transitionEvent(t: Transition): NewEvent {
  const a = t.instance;
  const release = a.labels.release === undefined ? undefined : Number(a.labels.release);
  const value = Number.isFinite(a.value) ? a.value : null;
  const what = `${a.rule} (${a.labels.severity}) for ${a.labels.app} in ${a.labels.env}`;
  const message =
    t.to === "pending"
      ? `alert ${what} pending: condition holds, value ${value ?? "-"}`
      : t.to === "firing"
        ? `alert ${what} firing: ${a.annotations.summary ?? `value ${value ?? "-"}`}`
        : t.from === "firing"
          ? `alert ${what} resolved`
          : `alert ${what} cleared before it fired`;
  return {
    type: t.to === "pending" ? "alert.pending" : t.to === "firing" ? "alert.firing" : "alert.resolved",
    env: a.labels.env,
    app: a.labels.app,
    ...(release !== undefined && Number.isInteger(release) ? { release } : {}),
    message,
    data: {
      fingerprint: a.fingerprint,
      rule: a.rule,
      from: t.from,
      state: t.to,
      labels: a.labels,
      annotations: a.annotations,
      value,
      activeAt: a.activeAt,
      firedAt: a.firedAt,
      resolvedAt: a.resolvedAt,
    },
  };
}
