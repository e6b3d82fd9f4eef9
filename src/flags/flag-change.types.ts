import { z } from "zod";
import type { AnalysisGuards } from "../analysis/index.ts";
import { errorRateGuardSchema, latencyGuardSchema } from "../config/resolved-manifest.schema.ts";
import { flagEnvStateSchema, segmentStateSchema } from "./flag.types.ts";

/**
 * A change to one environment, as a full before/after: what a protected environment's change request holds,
 * and what `flag.changed` records. Approving re-checks that `before` is still current, so an approval never
 * applies a change on top of something its approver did not see. Stored as JSON in change requests.
 */
export const flagChangeSchema = z.discriminatedUnion("target", [
  z.object({ target: z.literal("flag"), flag: z.string(), before: flagEnvStateSchema, after: flagEnvStateSchema }),
  z.object({
    target: z.literal("segment"),
    segment: z.string(),
    before: segmentStateSchema.nullable(),
    after: segmentStateSchema.nullable(),
  }),
  z.object({ target: z.literal("plan"), flag: z.string(), plan: z.lazy(() => rolloutPlanSchema) }),
]);
export type FlagChange = z.infer<typeof flagChangeSchema>;

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

/** A guard on a business metric (`conversion:purchase>=0.98x`): treatment's per-user mean ≥ ratio × control's. */
export const businessGuardSchema = z.object({
  metric: z.enum(["conversion", "events", "value"]),
  event: z.string(),
  ratio: z.number(),
  text: z.string(),
});
export type BusinessGuard = z.infer<typeof businessGuardSchema>;

/** A guarded rollout: percentages held `everyMs` each, advancing only while the guards pass. Stored as JSON. */
export const rolloutPlanSchema = z.object({
  steps: z.array(z.number()),
  everyMs: z.number(),
  guards: z.object({
    errorRate: errorRateGuardSchema.nullable(),
    p99Latency: latencyGuardSchema.nullable(),
    p50Latency: latencyGuardSchema.nullable(),
  }) satisfies z.ZodType<AnalysisGuards>,
  /** The guards as the person wrote them (`errors=2x`), for messages. */
  guardText: z.array(z.string()),
  onFail: z.enum(["pause", "off"]),
  by: z.string(),
  /** The feature: what users in the rollout get. */
  variation: z.string(),
  /** The control: what everyone else gets, and what the feature is compared with. */
  outVariation: z.string(),
  minSamples: z.number(),
  /** Business guards, judged on the events apps track per variation (plans stored before them have none). */
  businessGuards: z.array(businessGuardSchema).default([]),
});
export type RolloutPlan = z.infer<typeof rolloutPlanSchema>;

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

export const flagRolloutDataSchema = z.object({
  /** The latest judgement, one line for people. */
  message: z.string().optional(),
  /** The latest verdict (src/analysis Verdict) with its checks: the evidence. */
  verdict: z.record(z.string(), z.unknown()).optional(),
  pausedBy: z.string().optional(),
  /** The latest judgement of each business guard: the evidence shown in the plan's status. */
  businessGuards: z.array(z.record(z.string(), z.unknown())).optional(),
});
export type FlagRolloutData = z.infer<typeof flagRolloutDataSchema>;

export function isActiveRollout(state: FlagRolloutState): boolean {
  return state === "running" || state === "paused";
}
