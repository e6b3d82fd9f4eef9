import type { Manifest } from "../config/resolved-manifest.schema.ts";
import type { EventLog } from "../events/event-log.ts";
import type { Clock } from "../shared/clock.ts";
import { notFound, RampartError } from "../shared/errors.ts";
import { fromFile } from "./alert-rules.ts";
import type { AlertEvaluator } from "./alert.service.ts";
import type { AlertStore } from "./alert.store.ts";
import type { AlertInstance } from "./alert.types.ts";
import { type AlertHistory, type AlertView, type RuleBody, ruleBodySchema, type RulesResponse, type RuleView } from "./alert.view.ts";
import { defaultRuleNames } from "./default-rules.ts";

export interface AlertAdminDeps {
  evaluator: AlertEvaluator;
  store: AlertStore;
  events: EventLog;
  clock: Clock;
  manifest: () => Manifest;
}

/** What the API and the CLI see of alerting: active alerts, the rules of every app, rules over the API, history. */
export class AlertAdminService {
  readonly #deps: AlertAdminDeps;

  constructor(deps: AlertAdminDeps) {
    this.#deps = deps;
  }

  async active(): Promise<{ alerts: AlertView[] }> {
    return { alerts: (await this.#deps.evaluator.active()).map(toView) };
  }

  async rules(): Promise<RulesResponse> {
    const byApp = await this.#deps.evaluator.rules();
    const rules: RuleView[] = [];
    for (const [app, list] of byApp)
      for (const r of list)
        rules.push({
          app,
          name: r.name,
          source: r.source,
          expr: r.expr,
          forMs: r.forMs,
          severity: r.severity,
          labels: r.labels,
          annotations: r.annotations,
        });
    const defaults = this.#deps.manifest().alerts?.defaults ?? {};
    return { rules, disabledDefaults: defaultRuleNames.filter((n) => defaults[n] === false) };
  }

  /** Creates or replaces the API rule `body.name` (it overrides a rampart.yaml or default rule of that name). */
  async putRule(input: RuleBody, actor: string): Promise<RuleView[]> {
    const parsed = ruleBodySchema.safeParse(input);
    if (!parsed.success) {
      const details = parsed.error.issues.map((i) => ({ field: `body.${i.path.join(".")}`, message: i.message }));
      throw new RampartError("invalid_request", details.map((d) => `${d.field}: ${d.message}`).join("; "), {
        details,
        hint: "a rule is { name, expr, for, severity, labels, annotations, app }; see docs/alerts.md",
      });
    }
    const body = parsed.data;
    const app = body.app ?? null;
    if (app !== null && !(app in this.#deps.manifest().apps))
      throw notFound(
        `app ${JSON.stringify(app)}`,
        `apps in rampart.yaml: ${Object.keys(this.#deps.manifest().apps).join(", ")}; or leave app out for every app`,
      );
    const rule = { ...fromFile(body), app };
    await this.#deps.events.transact(async (trx, emit) => {
      await this.#deps.store.putRule(trx, rule, this.#deps.clock.now(), actor);
      await emit({
        type: "alert.rule_changed",
        actor,
        ...(app ? { app } : {}),
        message: `alert rule ${rule.name} set by ${actor}${app ? ` for ${app}` : " for every app"}: ${rule.expr}`,
        data: { rule },
      });
    });
    return (await this.rules()).rules.filter((r) => r.name === rule.name && r.source === "api");
  }

  async deleteRule(name: string, actor: string): Promise<{ deleted: string }> {
    const deleted = await this.#deps.events.transact(async (trx, emit) => {
      if (!(await this.#deps.store.removeRule(trx, name))) return false;
      await emit({ type: "alert.rule_deleted", actor, message: `alert rule ${name} deleted by ${actor}`, data: { name } });
      return true;
    });
    if (!deleted)
      throw new RampartError("not_found", `no alert rule ${JSON.stringify(name)} was created over the API`, {
        hint: "rules from rampart.yaml are changed there; defaults are switched off with alerts.defaults; list them: rampart alerts rules",
      });
    return { deleted: name };
  }

  async history(query: { since?: number; app?: string; env?: string; limit: number }): Promise<AlertHistory> {
    const since = query.since ?? this.#deps.clock.now() - 86_400_000;
    const events = await this.#deps.events.query({ type: "alert.", since, app: query.app, env: query.env, limit: query.limit });
    return { events };
  }
}

export function toView(a: AlertInstance): AlertView {
  return { ...a, value: Number.isFinite(a.value) ? a.value : null };
}
