import { DEFAULT_GUARDS, DEFAULT_JUDGE_OPTIONS, type AnalysisGuards } from "../analysis/index.ts";
import { errorRateGuard, latencyGuard } from "../config/fields.schema.ts";
import { parseDuration } from "../config/units.ts";
import type { FieldIssue } from "../api/validation.ts";
import type { BusinessGuard, RolloutPlan } from "./flag-change.types.ts";
import { assertValid } from "./flag-validation.ts";
import type { PlanBody } from "./flag.types.ts";

/** A plan body (`--plan 5,25,50,100 --every 1h --guard errors=2x`) into a plan, naming every bad field. */
export function parsePlan(body: PlanBody, sides: { variation: string; outVariation: string }): RolloutPlan {
  const issues: FieldIssue[] = [];
  const every = parseDuration(body.every);
  if (!every.ok) issues.push({ field: "body.every", message: every.message });
  else if (every.value < 1000)
    issues.push({ field: "body.every", message: `${body.every} is too short: a step must hold at least 1s to be judged` });
  const guards: AnalysisGuards = { ...DEFAULT_GUARDS };
  const guardText: string[] = [];
  if (body.guards.errors !== undefined) {
    const parsed = errorRateGuard.safeParse(body.guards.errors);
    if (parsed.success) guards.errorRate = parsed.data;
    else
      issues.push({ field: "body.guards.errors", message: parsed.error.issues[0]?.message ?? "expected a ratio (2x) or a ceiling (1%)" });
    guardText.push(`errors=${body.guards.errors}`);
  }
  for (const metric of ["p99", "p50"] as const) {
    const text = body.guards[metric];
    if (text === undefined) continue;
    const parsed = latencyGuard.safeParse(text);
    if (parsed.success) guards[metric === "p99" ? "p99Latency" : "p50Latency"] = parsed.data;
    else
      issues.push({
        field: `body.guards.${metric}`,
        message: parsed.error.issues[0]?.message ?? "expected a ratio (1.5x) or a duration (300ms)",
      });
    guardText.push(`${metric}=${text}`);
  }
  const businessGuards: BusinessGuard[] = [];
  for (const [i, text] of (body.guards.business ?? []).entries()) {
    const parsed = parseBusinessGuard(text);
    if (typeof parsed === "string") issues.push({ field: `body.guards.business.${i}`, message: parsed });
    else {
      businessGuards.push(parsed);
      guardText.push(text);
    }
  }
  assertValid(issues, "rollout plan");
  const steps = body.steps.at(-1) === 100 ? body.steps : [...body.steps, 100];
  return {
    steps,
    everyMs: every.ok ? every.value : 0,
    guards,
    guardText,
    onFail: body.onFail,
    by: body.by,
    variation: sides.variation,
    outVariation: sides.outVariation,
    minSamples: body.minSamples ?? DEFAULT_JUDGE_OPTIONS.minCanaryRequests,
    businessGuards,
  };
}

const BUSINESS_GUARD = /^(conversion|events|value):([A-Za-z0-9][A-Za-z0-9_.-]{0,99})>=(\d+(?:\.\d+)?)x$/;
const BUSINESS_EXAMPLE = "e.g. conversion:purchase>=0.98x (conversion, events or value per user of an event, at least 0.98 × control's)";

/** `conversion:purchase>=0.98x` into a business guard, or what is wrong with it. */
export function parseBusinessGuard(text: string): BusinessGuard | string {
  const m = BUSINESS_GUARD.exec(text);
  if (!m) return `${JSON.stringify(text)} is not METRIC:EVENT>=RATIOx; ${BUSINESS_EXAMPLE}`;
  const ratio = Number(m[3]);
  if (!(ratio > 0 && ratio <= 10)) return `${JSON.stringify(text)}: the ratio must be above 0 and at most 10, ${BUSINESS_EXAMPLE}`;
  return { metric: m[1] as BusinessGuard["metric"], event: m[2] ?? "", ratio, text };
}

/** `errors=2x` / `p99=1.5x` / `p50=300ms` / `conversion:purchase>=0.98x` (the CLI's --guard) into the body's guards. */
export function guardsFromFlags(values: readonly string[]): { guards: PlanBody["guards"]; issues: string[] } {
  const guards: PlanBody["guards"] = {};
  const issues: string[] = [];
  for (const value of values) {
    if (value.includes(":")) {
      const parsed = parseBusinessGuard(value);
      if (typeof parsed === "string") issues.push(`--guard ${parsed}`);
      else guards.business = [...(guards.business ?? []), value];
      continue;
    }
    const [name, limit, extra] = value.split("=");
    if (limit === undefined || extra !== undefined || !["errors", "p99", "p50"].includes(name ?? "")) {
      issues.push(`--guard ${value}: expected errors=2x, errors=1%, p99=1.5x, p99=300ms or p50=…`);
      continue;
    }
    guards[name as "errors" | "p99" | "p50"] = limit;
  }
  return { guards, issues };
}
