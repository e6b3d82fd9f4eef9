import { parseCondition } from "./alert-expr.parser.ts";
import type { CondNode } from "./alert-expr.types.ts";
import type { AlertRuleFile, AlertsFile } from "./alert-rules.schema.ts";
import { type DefaultRuleName, defaultRuleNames, defaultRules, type RuleDefinition } from "./default-rules.ts";

export const ruleSources = ["default", "project", "app", "api"] as const;
export type RuleSource = (typeof ruleSources)[number];

/** A rule as evaluated: its definition, its parsed condition, where it comes from and which app it covers. */
export interface AlertRule extends RuleDefinition {
  condition: CondNode;
  source: RuleSource;
  /** The app it covers; null: every app. */
  app: string | null;
}

/** A rule created over the API: like one in rampart.yaml, optionally for one app only. */
export interface ApiRule extends RuleDefinition {
  app: string | null;
}

export function fromFile(rule: AlertRuleFile): RuleDefinition {
  const annotations: Record<string, string> = {};
  for (const [k, v] of Object.entries(rule.annotations ?? {})) if (v !== undefined) annotations[k] = v;
  return {
    name: rule.name,
    expr: (rule.expr ?? rule.expression) as string,
    forMs: rule.for ?? 0,
    severity: rule.severity ?? "warning",
    labels: { ...rule.labels },
    annotations,
  };
}

export interface RuleInputs {
  project: AlertsFile | null;
  /** `apps.<app>.alerts` of every app in the manifest (an empty list for an app without). */
  apps: Record<string, readonly AlertRuleFile[]>;
  api: readonly ApiRule[];
}

/**
 * The rules of every app: the defaults (less those switched off), then the project's rules, the app's own, and
 * the API's, each replacing an earlier one of the same name for the apps it covers.
 */
export function rulesByApp(inputs: RuleInputs): Map<string, AlertRule[]> {
  const enabled = (name: DefaultRuleName) => inputs.project?.defaults?.[name] !== false;
  const defaults = defaultRuleNames.filter(enabled).map((n) => compile(defaultRules[n], "default", null));
  const project = (inputs.project?.rules ?? []).map((r) => compile(fromFile(r), "project", null));
  const api = inputs.api.map((r) => compile(r, "api", r.app));
  const out = new Map<string, AlertRule[]>();
  for (const [app, own] of Object.entries(inputs.apps)) {
    const byName = new Map<string, AlertRule>();
    const layers = [
      defaults,
      project,
      own.map((r) => compile(fromFile(r), "app", app)),
      api.filter((r) => r.app === null || r.app === app),
    ];
    for (const layer of layers) for (const rule of layer) byName.set(rule.name, rule);
    out.set(app, [...byName.values()]);
  }
  return out;
}

const compiled = new Map<string, CondNode>();

function compile(rule: RuleDefinition, source: RuleSource, app: string | null): AlertRule {
  let condition = compiled.get(rule.expr);
  if (!condition) {
    // Expressions were checked when they came in (manifest, API); parsing again only happens once per text.
    condition = parseCondition(rule.expr);
    if (compiled.size > 10_000) compiled.clear();
    compiled.set(rule.expr, condition);
  }
  return { ...rule, labels: { ...rule.labels }, annotations: { ...rule.annotations }, condition, source, app };
}

/** `{{ $labels.app }}`, `{{ $value }}`, `{{ $value | percent }}`, `{{ $value | seconds }}`, as Prometheus templates read. */
export function expandTemplate(template: string, labels: Record<string, string>, value: number | null): string {
  return template.replace(
    /\{\{\s*\$(labels\.([a-zA-Z_][a-zA-Z0-9_]*)|value)\s*(?:\|\s*(percent|seconds)\s*)?\}\}/g,
    (_m, _what, label, format) => {
      if (label !== undefined) return labels[label] ?? "";
      if (value === null) return "-";
      if (format === "percent") return `${round(value * 100)}%`;
      if (format === "seconds") return value < 1 ? `${round(value * 1000)}ms` : `${round(value)}s`;
      return String(round(value));
    },
  );
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
