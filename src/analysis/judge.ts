import type { Clock } from "../shared/clock.ts";
import { checkErrorRate, checkLatency } from "./checks.ts";
import { checkVital, GUARDED_VITALS, type GuardedVital, showVital } from "./rum-checks.ts";
import { count, percent, millis } from "./format.ts";
import type { AnalysisGuards } from "./guards.ts";
import { alwaysValidP } from "./sequential-test.ts";
import type { Check, Decision, JudgeOptions, Verdict } from "./verdict.types.ts";
import { DEFAULT_JUDGE_OPTIONS } from "./verdict.types.ts";
import type { SideCounts } from "./window.ts";

export interface JudgeInput {
  /** Cumulative counts of both releases over the same period (e.g. since the step began). */
  canary: SideCounts;
  stable: SideCounts;
  guards: AnalysisGuards;
  options?: Partial<JudgeOptions>;
}

/**
 * Judges a canary against stable. Pure apart from the clock, so the caller may call it every second on
 * the growing window: every check is an always-valid sequential test, and α is a bound over all of them.
 */
export function judge(input: JudgeInput, clock: Clock): Verdict {
  const options: JudgeOptions = { ...DEFAULT_JUDGE_OPTIONS, ...input.options };
  const { canary, stable, guards } = input;
  const vitals = GUARDED_VITALS.flatMap((vital) => {
    const guard = guards.rum?.[vital];
    return guard === undefined ? [] : [{ vital, guard }];
  });
  const active = [guards.errorRate, guards.p99Latency, guards.p50Latency].filter((guard) => guard !== null).length + vitals.length;
  // Bonferroni over the checks: each may wrongly fail with α/k, so any of them with at most α.
  const alpha = options.alpha / Math.max(1, active);
  const checks: Check[] = [];
  if (guards.errorRate !== null) checks.push(checkErrorRate(canary, stable, guards.errorRate, alpha, options));
  if (guards.p99Latency !== null) checks.push(checkLatency("p99_latency", canary, stable, guards.p99Latency, alpha, options));
  if (guards.p50Latency !== null) checks.push(checkLatency("p50_latency", canary, stable, guards.p50Latency, alpha, options));
  for (const { vital, guard } of vitals)
    checks.push(checkVital(vital, canary.rum?.[vital] ?? [], stable.rum?.[vital] ?? [], guard, alpha, options));
  const decision = combine(checks, canary, options);
  return { decision, reason: reasonFor(decision, checks, canary, stable, options), checks, at: clock.now() };
}

/** fail > hold > continue > pass: one failed guard stops the canary; every guard must pass to advance. */
function combine(checks: readonly Check[], canary: SideCounts, options: JudgeOptions): Decision {
  const decisions = new Set(checks.map((check) => check.decision));
  for (const decision of ["fail", "hold", "continue"] as const) if (decisions.has(decision)) return decision;
  // With no guard at all there is nothing to judge, but the canary must still have served traffic.
  return canary.requests >= options.minCanaryRequests ? "pass" : "hold";
}

function value(check: Check, v: number | null): string {
  if (check.metric === "cls_p75") return showVital("cls", v === null ? null : v * 1000);
  return check.metric === "error_rate" ? percent(v) : millis(v);
}

/** The vital a RUM check is about ("lcp" of lcp_p75), or null for the request checks. */
function vitalOf(check: Check): GuardedVital | null {
  return GUARDED_VITALS.find((vital) => check.metric === `${vital}_p75`) ?? null;
}

/**
 * What the canary did against stable, in words and units, e.g. "canary failed 35% of 138 requests, stable 0.19% of
 * 2,610; the guard allows 2x stable (0.59%)": what an operator reads first, before the statistics behind it.
 */
export function checkSentence(check: Check): string {
  const { samples } = check;
  const allows = `the guard allows ${check.guard}${check.kind === "relative" ? ` stable${check.threshold === null ? "" : ` (${value(check, check.threshold)})`}` : ""}`;
  if (check.metric === "error_rate") {
    return `canary failed ${percent(check.canary)} of ${count(samples.canary)} requests, stable ${percent(check.stable)} of ${count(samples.stable)}; ${allows}`;
  }
  const vital = vitalOf(check);
  if (vital !== null)
    return `canary p75 ${vital.toUpperCase()} ${value(check, check.canary)} over ${count(samples.canary)} page views, stable ${value(check, check.stable)} over ${count(samples.stable)}; ${allows}`;
  const quantile = check.metric === "p99_latency" ? "p99" : "median";
  return `canary ${quantile} ${millis(check.canary)} over ${count(samples.canary)} requests, stable ${millis(check.stable)} over ${count(samples.stable)}; ${allows}`;
}

function evidence(check: Check): string {
  const relation = check.statistic >= check.boundary ? ">=" : "<";
  return `evidence ${check.statistic.toFixed(1)} ${relation} ${check.boundary.toFixed(1)}, p <= ${alwaysValidP(check.statistic).toPrecision(2)}`;
}

function reasonFor(decision: Decision, checks: readonly Check[], canary: SideCounts, stable: SideCounts, options: JudgeOptions): string {
  if (decision === "fail") {
    return checks
      .filter((check) => check.decision === "fail")
      .map((check) => `${check.metric}: ${checkSentence(check)} [${evidence(check)}]`)
      .join("; ");
  }
  if (decision === "hold") return holdReason(checks, canary, stable, options);
  if (decision === "continue") {
    return checks
      .filter((check) => check.decision === "continue")
      .map(
        (check) => `${check.metric} above its ceiling, not conclusively yet: ${checkSentence(check)} [${evidence(check)}]; collecting more`,
      )
      .join("; ");
  }
  const within = checks.map((check) => `${check.metric} ${value(check, check.canary)} <= ${value(check, check.threshold)}`);
  return `within every guard (${within.length > 0 ? within.join(", ") : "no guards"}) over ${count(canary.requests)} canary and ${count(stable.requests)} stable requests`;
}

/** Names the counts needed against the counts seen, per side, so an operator knows what is missing. */
function holdReason(checks: readonly Check[], canary: SideCounts, stable: SideCounts, options: JudgeOptions): string {
  const holding = checks.filter((check) => check.decision === "hold");
  if (holding.length === 0)
    return `too little traffic to judge: canary ${count(canary.requests)} of the ${count(options.minCanaryRequests)} requests needed`;
  const canaryShort = holding.filter((check) => check.samples.canary < options.minCanaryRequests);
  const stableShort = holding.filter((check) => check.kind === "relative" && check.samples.stable < options.minStableRequests);
  const short: string[] = [];
  if (canaryShort.length > 0) {
    const seen = Math.min(...canaryShort.map((check) => check.samples.canary));
    short.push(`canary ${count(seen)} of the ${count(options.minCanaryRequests)} requests needed`);
  }
  if (stableShort.length > 0) {
    const seen = Math.min(...stableShort.map((check) => check.samples.stable));
    short.push(`stable ${count(seen)} of the ${count(options.minStableRequests)} needed`);
  }
  return `too little traffic to judge (${holding.map((check) => check.metric).join(", ")}): ${short.join(", ")} (stable has ${count(stable.requests)})`;
}
