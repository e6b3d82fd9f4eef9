import type { AlertInstance } from "./alert.types.ts";

/** Where an app's deploys stand: the release serving and the rollout in progress, if any. */
export interface DeployContext {
  env: string;
  app: string;
  /** The release in progress during a rollout, else the live one; null before any release. */
  release: number | null;
  rollout: { id: number; strategy: string; state: string; fromRelease: number | null; startedAt: number; release: number } | null;
}

/** The labels an alert about this app carries: `release` always (when known), the rollout's while one runs. */
export function deployLabels(context: DeployContext | undefined): Record<string, string> {
  if (!context) return {};
  const labels: Record<string, string> = {};
  if (context.release !== null) labels.release = String(context.release);
  if (context.rollout) {
    labels.rollout = String(context.rollout.id);
    labels.rollout_strategy = context.rollout.strategy;
    if (context.rollout.fromRelease !== null) labels.stable_release = String(context.rollout.fromRelease);
  }
  return labels;
}

/**
 * A canary to roll back because of this alert: a critical alert that is firing about an app whose canary is
 * shifting traffic, and whose condition began after the canary did. An alert that was already firing when the
 * deploy started (the deploy may be its fix) does not stop it.
 */
export function canaryToAbort(alert: AlertInstance, context: DeployContext | undefined): DeployContext["rollout"] {
  const rollout = context?.rollout;
  if (rollout?.strategy !== "canary" || rollout.state !== "shifting") return null;
  if (alert.state !== "firing" || alert.labels.severity !== "critical") return null;
  return alert.activeAt >= rollout.startedAt ? rollout : null;
}
