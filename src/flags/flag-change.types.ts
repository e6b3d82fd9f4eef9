import type { AnalysisGuards } from "../analysis/index.ts";
import type { FlagEnvState, SegmentState } from "./flag.types.ts";

/**
 * A change to one environment, as a full before/after: what a protected environment's change request holds,
 * and what `flag.changed` records. Approving re-checks that `before` is still current, so an approval never
 * applies a change on top of something its approver did not see.
 */
export type FlagChange =
  | { target: "flag"; flag: string; before: FlagEnvState; after: FlagEnvState }
  | { target: "segment"; segment: string; before: SegmentState | null; after: SegmentState | null }
  | { target: "plan"; flag: string; plan: RolloutPlan };

export const changeRequestStatuses = ["pending", "applied", "rejected", "superseded"] as const;
export type ChangeRequestStatus = (typeof changeRequestStatuses)[number];

export interface ChangeRequest {
  id: number;
  env: string;
  change: FlagChange;
  status: ChangeRequestStatus;
  requestedBy: string;
  requestedAt: number;
  reason: string | null;
  decidedBy: string | null;
  decidedAt: number | null;
}

/** A guarded rollout: percentages held `everyMs` each, advancing only while the guards pass. */
export interface RolloutPlan {
  steps: number[];
  everyMs: number;
  guards: AnalysisGuards;
  /** The guards as the person wrote them (`errors=2x`), for messages. */
  guardText: string[];
  onFail: "pause" | "off";
  by: string;
  /** The feature: what users in the rollout get. */
  variation: string;
  /** The control: what everyone else gets, and what the feature is compared with. */
  outVariation: string;
  minSamples: number;
}

export const flagRolloutStates = ["running", "paused", "completed", "stopped", "failed"] as const;
export type FlagRolloutState = (typeof flagRolloutStates)[number];

export interface FlagRolloutRecord {
  id: number;
  flag: string;
  env: string;
  state: FlagRolloutState;
  plan: RolloutPlan;
  /** Index into plan.steps of the step being held. */
  step: number;
  stepStartedAt: number;
  createdBy: string;
  createdAt: number;
  updatedAt: number;
  data: FlagRolloutData;
}

export interface FlagRolloutData {
  /** The latest judgement, one line for people. */
  message?: string;
  /** The latest verdict (src/analysis Verdict) with its checks: the evidence. */
  verdict?: Record<string, unknown>;
  pausedBy?: string;
}

export function isActiveRollout(state: FlagRolloutState): boolean {
  return state === "running" || state === "paused";
}
