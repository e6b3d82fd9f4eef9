import type { AnalysisGuards } from "../../src/analysis/guards.ts";
import { judge } from "../../src/analysis/judge.ts";
import type { Random } from "../../src/analysis/random.ts";
import { samplePoisson } from "../../src/analysis/random.ts";
import type { ReleaseModel } from "../../src/analysis/synthetic-traffic.ts";
import { addSampledSecond, bucketProbabilities } from "../../src/analysis/synthetic-traffic.ts";
import type { Clock } from "../../src/shared/clock.ts";
import type { SideCounts } from "../../src/analysis/window.ts";
import { emptySide } from "../../src/analysis/window.ts";

/** One simulated canary rollout, driven the way the rollout engine drives the analysis. */
export interface RolloutPlan {
  /** Total requests per second, split between canary and stable by the step's percentage. */
  rate: number;
  steps: readonly number[];
  pauseSeconds: number;
  /** A step that has not passed after this long is given up on (counted as stuck). */
  maxStepSeconds: number;
  /** "step": the window restarts with every step; "rollout": one window since the canary took traffic. */
  window: "step" | "rollout";
  guards: AnalysisGuards;
}

export interface RolloutOutcome {
  result: "promoted" | "rolled_back" | "stuck";
  /** Seconds from the canary's first traffic to the end (rollback verdict, promotion or giving up). */
  seconds: number;
  /** Verdicts taken (one per simulated second). */
  verdicts: number;
}

/**
 * Per second: Poisson arrivals at the total rate, each request to the canary with the step's probability
 * (so both sides are independent Poisson streams), each request failing and taking a log-normal time per
 * its release's model; then one verdict on the cumulative window. At the end of a step's pause the
 * rollout advances only on `pass`, keeps judging on `hold`/`continue`, and stops at once on `fail`.
 * At 100% there is no stable traffic left to compare with: reaching it is the promotion.
 */
export function simulateRollout(plan: RolloutPlan, stable: ReleaseModel, canary: ReleaseModel, rng: Random): RolloutOutcome {
  const stableProbabilities = bucketProbabilities(stable);
  const canaryProbabilities = bucketProbabilities(canary);
  let t = 0;
  const clock: Clock = { now: () => t * 1000 };
  let verdicts = 0;
  let canarySide: SideCounts = emptySide();
  let stableSide: SideCounts = emptySide();
  for (const percent of plan.steps) {
    if (percent >= 100) return { result: "promoted", seconds: t, verdicts };
    if (plan.window === "step") {
      canarySide = emptySide();
      stableSide = emptySide();
    }
    const share = percent / 100;
    for (let elapsed = 1; ; elapsed++) {
      t++;
      addSampledSecond(canarySide, rng, samplePoisson(rng, plan.rate * share), canary, canaryProbabilities);
      addSampledSecond(stableSide, rng, samplePoisson(rng, plan.rate * (1 - share)), stable, stableProbabilities);
      const verdict = judge({ canary: canarySide, stable: stableSide, guards: plan.guards }, clock);
      verdicts++;
      if (verdict.decision === "fail") return { result: "rolled_back", seconds: t, verdicts };
      if (elapsed >= plan.pauseSeconds && verdict.decision === "pass") break;
      if (elapsed >= plan.maxStepSeconds) return { result: "stuck", seconds: t, verdicts };
    }
  }
  return { result: "promoted", seconds: t, verdicts };
}
