import { z } from "zod";
import type { ReleaseStrategy } from "../config/resolved-manifest.schema.ts";

/**
 * A rollout's persisted state, so a control plane killed at any point picks it up where it was:
 * building → starting → shifting (step k) → [warm →] draining → completed, or → failed.
 * `warm` (blue-green): the new release is live and the old one still runs, for an instant rollback.
 */
export const rolloutStates = ["building", "starting", "shifting", "warm", "draining", "completed", "failed"] as const;
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

export const rolloutDataSchema = z.object({
  /** Set when the rollout replaces the live release with an older artifact (`rampart rollback`). */
  isRollback: z.boolean().optional(),
  /** Last human-readable progress line or the failure reason. */
  message: z.string().optional(),
  /** Canary: the share of traffic (percent) the new release gets now; the stable release gets the rest. */
  canaryPercent: z.number().optional(),
  /** When the current step began, so a resumed rollout holds the rest of its pause, not a new one. */
  stepStartedAt: z.number().optional(),
  /** When the new release first took traffic: the start of the period analysis compares. */
  trafficSince: z.number().optional(),
  paused: z.boolean().optional(),
  /** Canary: since when the current step is held after its pause without a verdict (ends it at `hold_timeout`). */
  heldSince: z.number().optional(),
  /** `rampart rollout … promote`: who asked to skip the remaining steps and analysis. */
  promoteRequestedBy: z.string().optional(),
  /** `rampart rollout … abort`. */
  abortRequested: z.object({ by: z.string(), reason: z.string() }).optional(),
  /** Blue-green: the old release's instances are stopped at this time. */
  warmUntil: z.number().optional(),
  /** The latest analysis verdict with its evidence. */
  verdict: z.record(z.string(), z.unknown()).optional(),
  /** When traffic went back to the stable release after a failed verdict or an abort. */
  rolledBackAt: z.number().optional(),
  /**
   * Traffic is back on stable (written with that traffic change): a restarted control plane finishes the rollback
   * instead of judging a canary that no longer gets traffic.
   */
  rollingBack: z.object({ reason: z.string(), by: z.string(), verdict: z.record(z.string(), z.unknown()).optional() }).optional(),
  /** How the rollout ended. */
  outcome: z.enum(["live", "rolled_back", "failed"]).optional(),
});
/** A rollout's `data` column: progress notes and control flags (checked with rolloutDataSchema when read back). */
export type RolloutData = z.infer<typeof rolloutDataSchema>;

/** Not completed or failed: the engine still has work to do (resumed after a restart). */
export function isActiveRollout(state: RolloutState): boolean {
  return state !== "completed" && state !== "failed";
}

/** Moving traffic: another deploy of the same app must wait. Warm and draining ones do not block. */
export function blocksDeploys(state: RolloutState): boolean {
  return state === "building" || state === "starting" || state === "shifting";
}
