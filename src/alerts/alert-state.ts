import { createHash } from "node:crypto";
import type { AlertInstance, AlertState } from "./alert.types.ts";

/** What one rule said about one app at one round. */
export interface Observation {
  rule: string;
  forMs: number;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  holds: boolean;
  value: number | null;
}

export interface Transition {
  from: AlertState | null;
  to: AlertState;
  instance: AlertInstance;
}

export interface RoundResult {
  /** Every alert still active (pending or firing) after the round, by fingerprint. */
  active: Map<string, AlertInstance>;
  transitions: Transition[];
  /** For the notifier: every firing alert and every alert that stopped firing this round. */
  notify: AlertInstance[];
}

/**
 * Labels that say where a deploy stands when the alert was raised. They ride along with the alert but are not its
 * identity: an alert must not resolve and start over because the rollout it began in has completed.
 */
export const DEPLOY_CONTEXT_LABELS = new Set(["rollout", "rollout_strategy", "stable_release"]);

/** sha256 of the rule name and its sorted identity labels, hex, 16 characters (src/alerts/alert.types.ts). */
export function fingerprint(rule: string, labels: Record<string, string>): string {
  const hash = createHash("sha256").update(rule);
  for (const key of Object.keys(labels).sort()) {
    if (DEPLOY_CONTEXT_LABELS.has(key)) continue;
    hash.update(`\u0000${key}\u0000${labels[key]}`);
  }
  return hash.digest("hex").slice(0, 16);
}

/**
 * One evaluation round of the state machine, as Prometheus runs it: a condition that starts to hold makes a
 * pending alert (firing at once when `for` is 0), a pending alert fires once it has held for `for`, and an alert
 * whose condition no longer holds (or whose rule or app is gone) resolves. Pure: the caller persists transitions.
 */
export function evaluateRound(
  previous: ReadonlyMap<string, AlertInstance>,
  observations: readonly Observation[],
  now: number,
): RoundResult {
  const active = new Map<string, AlertInstance>();
  const transitions: Transition[] = [];
  const notify: AlertInstance[] = [];
  for (const o of observations) {
    if (!o.holds) continue;
    const fp = fingerprint(o.rule, o.labels);
    if (active.has(fp)) continue;
    const before = previous.get(fp);
    const value = o.value ?? Number.NaN;
    let instance: AlertInstance;
    if (!before) {
      const state: AlertState = o.forMs <= 0 ? "firing" : "pending";
      instance = {
        fingerprint: fp,
        rule: o.rule,
        labels: o.labels,
        annotations: o.annotations,
        state,
        value,
        activeAt: now,
        firedAt: null,
        resolvedAt: null,
      };
      if (state === "firing") instance.firedAt = now;
      transitions.push({ from: null, to: state, instance });
    } else {
      instance = { ...before, labels: o.labels, annotations: o.annotations, value };
      if (before.state === "pending" && now - before.activeAt >= o.forMs) {
        instance.state = "firing";
        instance.firedAt = now;
        transitions.push({ from: "pending", to: "firing", instance });
      }
    }
    active.set(fp, instance);
    if (instance.state === "firing") notify.push(instance);
  }
  for (const [fp, before] of previous) {
    if (active.has(fp)) continue;
    const resolved: AlertInstance = { ...before, state: "resolved", resolvedAt: now };
    transitions.push({ from: before.state, to: "resolved", instance: resolved });
    // Only an alert someone was told about needs its all-clear.
    if (before.state === "firing") notify.push(resolved);
  }
  return { active, transitions, notify };
}
