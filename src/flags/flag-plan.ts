import { DEFAULT_GUARDS, DEFAULT_JUDGE_OPTIONS, type AnalysisGuards } from "../analysis/index.ts";
import { errorRateGuard, latencyGuard } from "../config/fields.schema.ts";
import { parseDuration } from "../config/units.ts";
import type { FieldIssue } from "../api/validation.ts";
import type { RolloutPlan } from "./flag-change.types.ts";
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
  };
}

/** `errors=2x` / `p99=1.5x` / `p50=300ms` (the CLI's --guard) into the body's guards. */
export function guardsFromFlags(values: readonly string[]): { guards: PlanBody["guards"]; issues: string[] } {
  const guards: PlanBody["guards"] = {};
  const issues: string[] = [];
  for (const value of values) {
    const [name, limit, extra] = value.split("=");
    if (limit === undefined || extra !== undefined || !["errors", "p99", "p50"].includes(name ?? "")) {
      issues.push(`--guard ${value}: expected errors=2x, errors=1%, p99=1.5x, p99=300ms or p50=…`);
      continue;
    }
    guards[name as "errors" | "p99" | "p50"] = limit;
  }
  return { guards, issues };
}
