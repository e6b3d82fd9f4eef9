import type { ReleaseStrategy } from "../config/resolved-manifest.schema.ts";

/**
 * A rollout's persisted state, so a control plane killed at any point picks it up where it was:
 * building → starting → shifting (step k of n) → draining → completed, or → failed (from any state).
 */
export const rolloutStates = ["building", "starting", "shifting", "draining", "completed", "failed"] as const;
export type RolloutState = (typeof rolloutStates)[number];

export interface RolloutRecord {
  id: number;
  env: string;
  app: string;
  release: number;
  fromRelease: number | null;
  strategy: ReleaseStrategy;
  state: RolloutState;
  step: number;
  startedAt: number;
  updatedAt: number;
  finishedAt: number | null;
  data: RolloutData;
}

export interface RolloutData {
  /** Set when the rollout replaces the live release with an older artifact (`rampart rollback`). */
  isRollback?: boolean;
  /** Last human-readable progress line or the failure reason. */
  message?: string;
}

export function isActiveRollout(state: RolloutState): boolean {
  return state !== "completed" && state !== "failed";
}
