import { formatDuration } from "../config/units.ts";
import type { Decision as CanaryDecision } from "../analysis/verdict.types.ts";

export interface HoldInput {
  /** When the current hold began (persisted on the rollout, so a restarted control plane keeps counting). */
  heldSince: number | undefined;
  now: number;
  /** The step's pause is over: only now can a missing verdict hold it. */
  due: boolean;
  /** Paused by an operator: a choice, not a hold, and it does not count against the deadline. */
  paused: boolean;
  decision: CanaryDecision;
  timeoutMs: number;
}

export interface HoldState {
  /** undefined: the step is not held (still in its pause, paused by hand, or it has a verdict). */
  heldSince: number | undefined;
  /** How long the hold has lasted, once it reached `release.hold_timeout`; null while there is time left. */
  expiredAfterMs: number | null;
  leftMs: number | null;
}

/**
 * Like Flagger's progress deadline: a canary step whose pause is over and that still has neither a pass nor a fail
 * (too little traffic, or evidence not conclusive yet) is held, and a hold longer than `release.hold_timeout` ends
 * the rollout instead of waiting for traffic that may never come. A pause by hand resets the hold: after
 * `rampart rollout … resume` the step gets the whole timeout again.
 */
export function trackHold(input: HoldInput): HoldState {
  const held = input.due && !input.paused && (input.decision === "hold" || input.decision === "continue");
  if (!held) return { heldSince: undefined, expiredAfterMs: null, leftMs: null };
  const heldSince = input.heldSince ?? input.now;
  const elapsed = input.now - heldSince;
  if (elapsed >= input.timeoutMs) return { heldSince, expiredAfterMs: elapsed, leftMs: 0 };
  return { heldSince, expiredAfterMs: null, leftMs: input.timeoutMs - elapsed };
}

/** Appended to the progress line of a held step, so a user sees the hold has an end. */
export function holdCountdown(state: HoldState, timeoutMs: number): string {
  if (state.leftMs === null) return "";
  return `; fails in ${roughDuration(state.leftMs)} without a verdict (release.hold_timeout ${formatDuration(timeoutMs)})`;
}

/** The reason a rollout fails when a step was held too long. */
export function holdExpiredReason(input: {
  step: number;
  steps: number;
  percent: number;
  timeoutMs: number;
  reason: string;
  app: string;
  env: string;
}): string {
  return (
    `step ${input.step}/${input.steps} (${input.percent}%) held for ${formatDuration(input.timeoutMs)} without a verdict: ${input.reason}. ` +
    `Send the canary more traffic, raise release.hold_timeout, or decide by hand next time: rampart rollout ${input.app} --env ${input.env} promote|abort`
  );
}

/** Whole seconds up to a minute, then whole minutes: a countdown that changes the line every few seconds, not every tick. */
function roughDuration(ms: number): string {
  const seconds = Math.ceil(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  return `${Math.ceil(seconds / 60)}m`;
}
