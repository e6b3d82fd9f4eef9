import { bucketQuantile, bucketTotal } from "../shared/measurement.ts";
import { count, finiteOrNull, millis, percent } from "./format.ts";
import type { LatencyGuard, RateGuard } from "./guards.ts";
import { countSlowerThan, latencyQuantileUpperBound } from "./histogram.ts";
import { evidenceAbove, rateUpperBound } from "./sequential-test.ts";
import type { Check, Decision, JudgeOptions, Metric } from "./verdict.types.ts";
import type { SideCounts } from "./window.ts";

/** Fail beats everything (the test is valid at any count); without enough traffic nothing can pass. */
function decide(statistic: number, boundary: number, enoughSamples: boolean, canaryWithin: boolean): Decision {
  if (statistic >= boundary) return "fail";
  if (!enoughSamples) return "hold";
  return canaryWithin ? "pass" : "continue";
}

/** The relative ceiling: ratio × stable, and never less than stable + floor. */
function relativeCeiling(stable: number, ratio: number, floor: number): number {
  return Math.max(ratio * stable, stable + floor);
}

function hasEnough(canary: number, stable: number, relative: boolean, options: JudgeOptions): boolean {
  return canary >= options.minCanaryRequests && (!relative || stable >= options.minStableRequests);
}

/**
 * Error rate, as a binomial question: is the canary's failure probability above the ceiling? For a
 * relative guard the ceiling is built on stable's always-valid upper bound (half of α each), so the
 * canary is failed only when it is worse than the worst stable could plausibly be.
 */
export function checkErrorRate(canary: SideCounts, stable: SideCounts, guard: RateGuard, alpha: number, options: JudgeOptions): Check {
  const relative = guard.kind === "relative";
  const canaryRate = canary.requests > 0 ? canary.errors / canary.requests : null;
  const stableRate = stable.requests > 0 ? stable.errors / stable.requests : null;
  const testAlpha = relative ? alpha / 2 : alpha;
  let threshold: number | null;
  let testedAgainst: number;
  if (guard.kind === "absolute") {
    threshold = guard.rate;
    testedAgainst = guard.rate;
  } else {
    threshold = stableRate === null ? null : Math.min(1, relativeCeiling(stableRate, guard.ratio, options.errorRateFloor));
    const stableUpper = rateUpperBound(stable.errors, stable.requests, alpha / 2);
    testedAgainst = Math.min(1, relativeCeiling(stableUpper, guard.ratio, options.errorRateFloor));
  }
  const statistic = evidenceAbove(canary.errors, canary.requests, testedAgainst);
  const boundary = Math.log(1 / testAlpha);
  const within = canaryRate !== null && threshold !== null && canaryRate <= threshold;
  const decision = decide(statistic, boundary, hasEnough(canary.requests, stable.requests, relative, options), within);
  const detail =
    `canary ${count(canary.errors)}/${count(canary.requests)} failed (${percent(canaryRate)}), ` +
    `stable ${count(stable.errors)}/${count(stable.requests)} (${percent(stableRate)}); ` +
    `ceiling ${percent(threshold)}, tested against ${percent(testedAgainst)}`;
  return {
    metric: "error_rate",
    guard: guard.kind === "absolute" ? percent(guard.rate) : `${guard.ratio}x`,
    kind: guard.kind,
    canary: canaryRate,
    stable: stableRate,
    threshold,
    testedAgainst,
    statistic,
    boundary,
    decision,
    samples: { canary: canary.requests, stable: stable.requests },
    detail,
  };
}

/**
 * A latency quantile, turned into a binomial question: "p99 <= T" is "at most 1% of requests are slower
 * than T", tested on the canary's share of requests slower than T. For a relative guard T is ratio × an
 * always-valid upper bound on stable's quantile, so T is unknown (+Inf: cannot fail) until stable has
 * enough requests to bound it (about 1,000 for a p99).
 */
export function checkLatency(
  metric: Extract<Metric, "p99_latency" | "p50_latency">,
  canary: SideCounts,
  stable: SideCounts,
  guard: LatencyGuard,
  alpha: number,
  options: JudgeOptions,
): Check {
  return checkQuantile(metric, metric === "p99_latency" ? 0.99 : 0.5, canary.latency, stable.latency, guard, alpha, options);
}

/**
 * A quantile of any histogram on the latency bounds (the requests' latency, a web vital's values), tested as
 * checkLatency describes; `show` writes a value in the measure's unit for the detail line.
 */
export function checkQuantile(
  metric: Metric,
  q: number,
  canaryBuckets: number[],
  stableBuckets: number[],
  guard: LatencyGuard,
  alpha: number,
  options: JudgeOptions,
  show: (v: number | null) => string = millis,
  noun = "requests",
): Check {
  const relative = guard.kind === "relative";
  const canary = { latency: canaryBuckets };
  const stable = { latency: stableBuckets };
  const canaryN = bucketTotal(canary.latency);
  const stableN = bucketTotal(stable.latency);
  const canaryQ = finiteOrNull(bucketQuantile(canary.latency, q));
  const stableQ = finiteOrNull(bucketQuantile(stable.latency, q));
  let threshold: number | null;
  let testedAgainst: number;
  if (guard.kind === "absolute") {
    threshold = guard.ms;
    testedAgainst = guard.ms;
  } else {
    threshold = stableQ === null ? null : relativeCeiling(stableQ, guard.ratio, options.latencyFloorMs);
    const stableUpper = latencyQuantileUpperBound(stable.latency, q, alpha / 2);
    testedAgainst = relativeCeiling(stableUpper, guard.ratio, options.latencyFloorMs);
  }
  const slower = countSlowerThan(canary.latency, testedAgainst);
  const statistic = evidenceAbove(slower, canaryN, 1 - q);
  const boundary = Math.log(1 / (relative ? alpha / 2 : alpha));
  const within = canaryQ !== null && threshold !== null && canaryQ <= threshold;
  const decision = decide(statistic, boundary, hasEnough(canaryN, stableN, relative, options), within);
  const tested = finiteOrNull(testedAgainst);
  const slowShare = `${count(slower)} canary ${noun} slower than ${show(tested)} (${percent(canaryN > 0 ? slower / canaryN : null)}, allowed ${percent(1 - q)})`;
  const detail =
    `canary ${show(canaryQ)} over ${count(canaryN)} ${noun}, stable ${show(stableQ)} over ${count(stableN)}; ` +
    `ceiling ${show(threshold)}; ${tested === null ? "stable's quantile not yet bounded" : slowShare}`;
  return {
    metric,
    guard: guard.kind === "absolute" ? `${guard.ms}ms` : `${guard.ratio}x`,
    kind: guard.kind,
    canary: canaryQ,
    stable: stableQ,
    threshold,
    testedAgainst: tested,
    statistic,
    boundary,
    decision,
    samples: { canary: canaryN, stable: stableN },
    detail,
  };
}
