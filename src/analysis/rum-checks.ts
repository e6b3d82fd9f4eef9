import type { LatencyGuard } from "../config/resolved-manifest.schema.ts";
import { checkQuantile } from "./checks.ts";
import { millis } from "./format.ts";
import type { Check, JudgeOptions, RumMetric } from "./verdict.types.ts";

/** The web vitals a canary can be guarded on (`lcp_p75: 1.2x`), each judged at its 75th percentile. */
export const GUARDED_VITALS = ["lcp", "inp", "cls", "fcp", "ttfb"] as const;
export type GuardedVital = (typeof GUARDED_VITALS)[number];

/** CLS is bucketed in thousandths (src/edge/rum-stats.ts): its guard and values are shown in its own unit. */
const CLS_SCALE = 1000;

export function showVital(vital: GuardedVital, v: number | null): string {
  if (v === null) return "n/a";
  return vital === "cls" ? (v / CLS_SCALE).toFixed(3) : millis(v);
}

/**
 * A web vital's p75, canary against stable, over the page views each served (RUM beacons): the latency test of
 * checks.ts on the vital's histogram. A canary with fewer page views than minCanaryRequests holds like any check.
 */
export function checkVital(
  vital: GuardedVital,
  canary: number[],
  stable: number[],
  guard: LatencyGuard,
  alpha: number,
  options: JudgeOptions,
): Check {
  const metric: RumMetric = `${vital}_p75`;
  const check = checkQuantile(metric, 0.75, canary, stable, guard, alpha, options, (v) => showVital(vital, v), "page views");
  if (vital !== "cls") return check;
  const scale = (v: number | null) => (v === null ? null : v / CLS_SCALE);
  return {
    ...check,
    guard: guard.kind === "absolute" ? String(guard.ms / CLS_SCALE) : check.guard,
    canary: scale(check.canary),
    stable: scale(check.stable),
    threshold: scale(check.threshold),
    testedAgainst: scale(check.testedAgainst),
  };
}
