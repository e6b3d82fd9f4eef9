/**
 * A check's state from its results, with thresholds as in Gatus: `failureThreshold` failures in a row make it
 * failing, `successThreshold` successes in a row make a failing check ok again. Until its first result a check is
 * pending; a first success makes it ok at once (nothing to recover from). Pure: the service turns transitions into events.
 */

export type CheckStateName = "pending" | "ok" | "failing";

export interface CheckState {
  state: CheckStateName;
  /** When the check entered its state (epoch ms). */
  since: number;
  consecutiveFailures: number;
  consecutiveSuccesses: number;
}

export type Transition = "failed" | "recovered" | null;

export function initialState(now: number): CheckState {
  return { state: "pending", since: now, consecutiveFailures: 0, consecutiveSuccesses: 0 };
}

export function nextState(
  current: CheckState,
  ok: boolean,
  now: number,
  thresholds: { failureThreshold: number; successThreshold: number },
): { state: CheckState; transition: Transition } {
  const consecutiveFailures = ok ? 0 : current.consecutiveFailures + 1;
  const consecutiveSuccesses = ok ? current.consecutiveSuccesses + 1 : 0;
  const counts = { consecutiveFailures, consecutiveSuccesses };
  if (!ok && current.state !== "failing" && consecutiveFailures >= thresholds.failureThreshold) {
    return { state: { state: "failing", since: now, ...counts }, transition: "failed" };
  }
  if (ok && current.state === "failing" && consecutiveSuccesses >= thresholds.successThreshold) {
    return { state: { state: "ok", since: now, ...counts }, transition: "recovered" };
  }
  if (ok && current.state === "pending") return { state: { state: "ok", since: now, ...counts }, transition: null };
  return { state: { ...current, ...counts }, transition: null };
}
