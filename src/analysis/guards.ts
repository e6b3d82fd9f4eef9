import type { LatencyGuard, ResolvedApp } from "../config/resolved-manifest.schema.ts";

export type { LatencyGuard };

/** An error-rate ceiling: absolute (`1%` ⇒ rate 0.01) or relative to the stable release (`2x`). */
export type RateGuard = { kind: "absolute"; rate: number } | { kind: "relative"; ratio: number };

/** The guards a canary is judged by; null leaves a metric unjudged. */
export interface AnalysisGuards {
  errorRate: RateGuard | null;
  p99Latency: LatencyGuard | null;
  p50Latency: LatencyGuard | null;
  /** Web-vital p75 guards by vital (lcp, inp, cls, fcp, ttfb); none by default. */
  rum?: Partial<Record<string, LatencyGuard>>;
}

/**
 * Applied to every metric the manifest leaves unset, so a canary without guards is still protected.
 * Relative, because no absolute number fits every app: a canary may fail twice as often as stable
 * (plus the error floor, see JudgeOptions) and have a p99 up to 1.5x stable's before it is rolled back.
 * The median is not guarded by default: a canary's fresh instances (cold caches, JIT) are often slower at
 * first, and the p99 guard already catches a release that got uniformly slower.
 */
export const DEFAULT_GUARDS: Readonly<AnalysisGuards> = Object.freeze<AnalysisGuards>({
  errorRate: { kind: "relative", ratio: 2 },
  p99Latency: { kind: "relative", ratio: 1.5 },
  p50Latency: null,
});

/** The manifest's guards, each unset one replaced by its default. */
export function guardsFromManifest(guards: ResolvedApp["release"]["guards"]): AnalysisGuards {
  return {
    errorRate: guards.errorRate ?? DEFAULT_GUARDS.errorRate,
    p99Latency: guards.p99Latency ?? DEFAULT_GUARDS.p99Latency,
    p50Latency: guards.p50Latency ?? DEFAULT_GUARDS.p50Latency,
    ...(guards.rum !== undefined && { rum: guards.rum }),
  };
}
