import type { AlertInstance } from "../alerts/alert.types.ts";
import type { EventLog } from "../events/event-log.ts";
import type { Clock } from "../shared/clock.ts";
import { errorMessage, RampartError } from "../shared/errors.ts";
import { logger } from "../shared/logger.ts";
import type { EscalationStore } from "./escalation.store.ts";
import type { Escalation, Pager } from "./escalation.types.ts";
import type { EscalationStep } from "./oncall.schema.ts";
import type { OncallService } from "./oncall.service.ts";

export interface EscalationPolicies {
  policies: Record<string, EscalationStep[]>;
  /** How many more times the policy runs from its first step after its last step's wait. */
  repeat: number;
}

export interface EscalationDeps {
  store: EscalationStore;
  events: EventLog;
  clock: Clock;
  oncall: OncallService;
  policies: () => EscalationPolicies;
  pager: Pager;
  /** The link a page carries to acknowledge (signed links, when wired); the CLI command otherwise. */
  ackHint?: (e: Escalation) => string;
}

/**
 * Pages whoever a critical alert's escalation policy names, waits, escalates to the next level and starts over
 * `repeat` times, until someone acknowledges or resolves it or the alert resolves. The policy is the alert's
 * `escalation` label, else `default`. Each page is an oncall.paged event, each next level oncall.escalated.
 */
export class EscalationService {
  readonly #deps: EscalationDeps;
  /** One pass at a time: evaluation rounds and the loop's ticks must not page twice for one level. */
  #busy: Promise<void> = Promise.resolve();

  constructor(deps: EscalationDeps) {
    this.#deps = deps;
  }

  /** Alert evaluation's round: starts escalations of critical alerts that fired, ends those whose alert resolved. */
  observe(alerts: readonly AlertInstance[]): Promise<void> {
    return this.#serial(async () => {
      for (const alert of alerts) {
        if (alert.labels.severity !== "critical") continue;
        const current = await this.#deps.store.get(alert.fingerprint);
        if (alert.state === "resolved") {
          if (current && (current.status === "paging" || current.status === "acknowledged"))
            await this.#end(current, "resolved", "rampart", `${current.alertname} resolved`);
          continue;
        }
        if (alert.state !== "firing" || alert.firedAt === null) continue;
        // Still the same firing (paging, acknowledged or given up): nothing to start.
        if (current && current.startedAt >= alert.firedAt) continue;
        await this.#start(alert);
      }
    });
  }

  /** Pages the next level of every escalation whose wait is over (the module's loop calls it every second). */
  tick(now: number = this.#deps.clock.now()): Promise<void> {
    return this.#serial(async () => {
      for (const e of await this.#deps.store.open()) {
        if (e.status === "paging" && e.nextAt !== null && e.nextAt <= now) await this.#escalate(e);
      }
    });
  }

  /**
   * Acknowledges (stops paging) or resolves the open escalations of one alert: `ref` is its fingerprint (or a
   * unique prefix of at least 6 characters) or an alert name, which takes every open escalation of that rule.
   */
  acknowledge(ref: string, actor: string, options: { resolve?: boolean } = {}): Promise<Escalation[]> {
    return this.#serial(async () => {
      const open = await this.#deps.store.open();
      const byName = open.filter((e) => e.alertname === ref);
      const byPrint = ref.length >= 6 ? open.filter((e) => e.fingerprint.startsWith(ref)) : [];
      const matched = byPrint.length > 0 ? byPrint : byName;
      if (matched.length === 0)
        throw new RampartError("not_found", `no open escalation for ${JSON.stringify(ref)}: not a fingerprint or alert name being paged`, {
          hint: "list what is paging with: rampart oncall escalations",
        });
      if (byPrint.length > 1)
        throw new RampartError("invalid_request", `${JSON.stringify(ref)} matches ${byPrint.length} alerts; give more of the fingerprint`, {
          hint: "list what is paging with: rampart oncall escalations",
          details: [{ field: "params.ref", message: `a fingerprint prefix shared by ${byPrint.length} alerts` }],
        });
      const done: Escalation[] = [];
      for (const e of matched) {
        if (options.resolve) done.push(await this.#end(e, "resolved", actor, `${e.alertname} resolved by ${actor}`));
        else if (e.status === "paging") done.push(await this.#ack(e, actor));
        else done.push(e);
      }
      return done;
    });
  }

  list(options: { all: boolean }): Promise<Escalation[]> {
    return options.all ? this.#deps.store.recent(200) : this.#deps.store.open();
  }

  #serial<T>(work: () => Promise<T>): Promise<T> {
    const result = this.#busy.then(work);
    this.#busy = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }

  #policyOf(alert: { labels: Record<string, string> }): { name: string; steps: EscalationStep[] } | undefined {
    const name = alert.labels.escalation ?? "default";
    const steps = this.#deps.policies().policies[name];
    return steps && steps.length > 0 ? { name, steps } : undefined;
  }

  async #start(alert: AlertInstance): Promise<void> {
    const policy = this.#policyOf(alert);
    if (!policy) return;
    const now = this.#deps.clock.now();
    const e: Escalation = {
      fingerprint: alert.fingerprint,
      alertname: alert.labels.alertname ?? alert.rule,
      labels: alert.labels,
      policy: policy.name,
      level: 0,
      round: 0,
      status: "paging",
      nextAt: now + (policy.steps[0]?.wait ?? 0),
      startedAt: now,
      endedAt: null,
      endedBy: null,
    };
    await this.#page(e, null);
  }

  async #escalate(e: Escalation): Promise<void> {
    const policy = this.#policyOf(e);
    const now = this.#deps.clock.now();
    let level = e.level + 1;
    let round = e.round;
    if (!policy || level >= policy.steps.length) {
      level = 0;
      round += 1;
    }
    if (!policy || round > this.#deps.policies().repeat) {
      await this.#end(e, "exhausted", "rampart", `no one acknowledged ${e.alertname} after ${e.round + 1} round(s) of ${e.policy}`);
      return;
    }
    const next: Escalation = { ...e, level, round, nextAt: now + (policy.steps[level]?.wait ?? 0) };
    await this.#page(next, e);
  }

  /** Writes the escalation with its oncall.paged (and oncall.escalated) event, then sends the page. */
  async #page(e: Escalation, previous: Escalation | null): Promise<void> {
    const step = this.#policyOf(e)?.steps[e.level];
    if (!step) return;
    const user =
      step.notify.kind === "user"
        ? step.notify.name
        : ((await this.#deps.oncall.onCall(step.notify.name, this.#deps.clock.now()))?.user ?? null);
    const contact = user === null ? null : this.#deps.oncall.contactOf(user);
    const channels = Object.keys(contact ?? {});
    const scope = { ...(e.labels.env ? { env: e.labels.env } : {}), ...(e.labels.app ? { app: e.labels.app } : {}) };
    const target = `${step.notify.kind}:${step.notify.name}`;
    await this.#deps.events.transact(async (trx, emit) => {
      await this.#deps.store.upsert(trx, e);
      if (previous)
        await emit({
          type: "oncall.escalated",
          message: `${e.alertname} not acknowledged: escalated to level ${e.level + 1} (${target}) of ${e.policy}, round ${e.round + 1}`,
          actor: "rampart",
          ...scope,
          data: { fingerprint: e.fingerprint, policy: e.policy, level: e.level, round: e.round, target },
        });
      await emit({
        type: "oncall.paged",
        message:
          user === null
            ? `${e.alertname}: no one to page for ${target} (the schedule has no one on call)`
            : `paged ${user} for ${e.alertname} (${target}) through ${channels.join(", ") || "no channel: add one under oncall.people"}`,
        actor: "rampart",
        ...scope,
        data: { fingerprint: e.fingerprint, policy: e.policy, level: e.level, round: e.round, target, user, channels },
      });
    });
    if (user === null || contact === null) return;
    const ack = this.#deps.ackHint?.(e) ?? `rampart alerts ack ${e.fingerprint}`;
    const text = `[critical] ${e.alertname}${e.labels.app ? ` ${e.labels.app}` : ""}${e.labels.env ? ` in ${e.labels.env}` : ""}: you are paged (${target}, level ${e.level + 1}). Acknowledge: ${ack}`;
    try {
      await this.#deps.pager.page({ user, contact, escalation: e, text });
    } catch (error) {
      // The next level is the retry: whoever comes next is paged when this one's wait is over.
      logger.warn({ err: error, user, alert: e.alertname }, `oncall: paging ${user} failed: ${errorMessage(error)}`);
    }
  }

  async #ack(e: Escalation, actor: string): Promise<Escalation> {
    const acked: Escalation = { ...e, status: "acknowledged", nextAt: null, endedAt: this.#deps.clock.now(), endedBy: actor };
    await this.#deps.events.transact(async (trx, emit) => {
      await this.#deps.store.upsert(trx, acked);
      await emit({
        type: "alert.acknowledged",
        message: `${e.alertname} acknowledged by ${actor}: escalation ${e.policy} stopped`,
        actor,
        ...(e.labels.env ? { env: e.labels.env } : {}),
        ...(e.labels.app ? { app: e.labels.app } : {}),
        data: { fingerprint: e.fingerprint, alertname: e.alertname, policy: e.policy, level: e.level, round: e.round },
      });
    });
    return acked;
  }

  async #end(e: Escalation, status: "resolved" | "exhausted", actor: string, why: string): Promise<Escalation> {
    const ended: Escalation = { ...e, status, nextAt: null, endedAt: this.#deps.clock.now(), endedBy: actor };
    await this.#deps.events.transact(async (trx, emit) => {
      await this.#deps.store.upsert(trx, ended);
      await emit({
        type: "oncall.ended",
        message: `escalation of ${e.alertname} ended: ${why}`,
        actor,
        ...(e.labels.env ? { env: e.labels.env } : {}),
        ...(e.labels.app ? { app: e.labels.app } : {}),
        data: { fingerprint: e.fingerprint, alertname: e.alertname, policy: e.policy, status },
      });
    });
    return ended;
  }
}
