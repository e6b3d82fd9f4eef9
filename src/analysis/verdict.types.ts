/** A web vital's p75 from real users' pages (apps with rum: true). */
export type RumMetric = "lcp_p75" | "inp_p75" | "cls_p75" | "fcp_p75" | "ttfb_p75";
export type Metric = "error_rate" | "p99_latency" | "p50_latency" | RumMetric;

/**
 * `continue`: enough traffic, not conclusive yet (keep collecting). `pass`: enough traffic and the canary
 * is within every guard, so the step may advance when its pause ends. `fail`: the canary is confidently
 * worse; roll back now. `hold`: too little traffic to say either way; the step must not advance.
 */
export type Decision = "continue" | "pass" | "fail" | "hold";

/** One guard's evidence. Rates are fractions (0.01 = 1%), latencies milliseconds; null = no data yet. */
export interface Check {
  metric: Metric;
  /** The guard as a person would write it: "1%", "2x", "500ms". */
  guard: string;
  /** Relative guards compare with stable and need its traffic too. */
  kind: "absolute" | "relative";
  /** The canary's observed value: error rate, or the latency quantile estimated from its histogram. */
  canary: number | null;
  stable: number | null;
  /** The guard applied to stable's observed value: what "not worse" means right now (pass needs canary <= it). */
  threshold: number | null;
  /**
   * What the sequential test compares the canary with: the guard applied to stable's always-valid upper
   * bound, so stable's own noise cannot make the canary look worse. null while stable is unbounded.
   */
  testedAgainst: number | null;
  /** Evidence (ln of a mixture e-value, nats) that the canary is above `testedAgainst`. */
  statistic: number;
  /** ln(1/α) for this check: fail once statistic >= boundary. */
  boundary: number;
  decision: Decision;
  /** Requests each side contributed (successful ones only, for latency). */
  samples: { canary: number; stable: number };
  /** One line for people: the counts behind the numbers. */
  detail: string;
}

export interface Verdict {
  decision: Decision;
  reason: string;
  checks: Check[];
  /** Epoch ms, from the injected clock. */
  at: number;
}

export interface JudgeOptions {
  /**
   * Chance of failing a canary that is within its guards, over one window judged any number of times
   * (split evenly over the checks). 0.0025 keeps a rollout judged on four windows (one per step) <= 1%.
   */
  alpha: number;
  /** Below these, a check cannot pass (it holds); it can still fail, the test being valid at any count. */
  minCanaryRequests: number;
  minStableRequests: number;
  /** A relative error guard allows at least this much more than stable: 0 vs 1 error is not "infinitely worse". */
  errorRateFloor: number;
  /** Likewise for relative latency guards: 1 ms vs 2 ms is not a regression anyone feels. */
  latencyFloorMs: number;
}

export const DEFAULT_JUDGE_OPTIONS: Readonly<JudgeOptions> = Object.freeze({
  alpha: 0.0025,
  minCanaryRequests: 100,
  minStableRequests: 100,
  errorRateFloor: 0.002,
  latencyFloorMs: 5,
});
