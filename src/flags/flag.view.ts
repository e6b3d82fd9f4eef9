import { z } from "zod";
import { changeRequestStatuses, flagRolloutStates } from "./flag-change.types.ts";
import { FLAG_KINDS, FLAG_TYPES } from "./flag.types.ts";

const looseObject = z.record(z.string(), z.unknown());

export const flagRolloutViewSchema = z.object({
  id: z.number().int(),
  state: z.enum(flagRolloutStates),
  steps: z.array(z.number()),
  step: z.number().int().describe("1-based step being held"),
  percentage: z.number(),
  everyMs: z.number(),
  stepStartedAt: z.number(),
  guards: z.array(z.string()),
  onFail: z.enum(["pause", "off"]),
  variation: z.string(),
  outVariation: z.string(),
  by: z.string(),
  message: z.string().nullable(),
  verdict: looseObject.nullable().describe("the latest analysis verdict with its checks (src/analysis)"),
  businessGuards: z.array(looseObject).nullable().describe("the latest judgement of each business guard, with its evidence"),
  createdBy: z.string(),
});
export type FlagRolloutView = z.infer<typeof flagRolloutViewSchema>;

export const flagEnvViewSchema = z.object({
  env: z.string(),
  enabled: z.boolean(),
  serving: z.string().describe("the default serve in words, e.g. '25% on by userId (else off)'"),
  prerequisites: z.array(z.unknown()),
  rules: z.array(z.unknown()),
  fallthrough: z.unknown(),
  updatedAt: z.number().nullable(),
  updatedBy: z.string().nullable(),
  protected: z.boolean(),
  stale: z.object({ stale: z.boolean(), reasons: z.array(z.string()), lastEvaluatedAt: z.number().nullable(), evaluations: z.number() }),
  rollout: flagRolloutViewSchema.nullable().describe("the latest guarded rollout"),
});
export type FlagEnvView = z.infer<typeof flagEnvViewSchema>;

export const flagViewSchema = z.object({
  key: z.string(),
  type: z.enum(FLAG_TYPES),
  kind: z.enum(FLAG_KINDS),
  description: z.string(),
  variations: z.array(z.object({ key: z.string(), value: z.unknown() })),
  offVariation: z.string(),
  createdAt: z.number(),
  createdBy: z.string(),
  environments: z.array(flagEnvViewSchema),
});
export type FlagView = z.infer<typeof flagViewSchema>;

export const changeRequestViewSchema = z.object({
  id: z.number().int(),
  env: z.string(),
  status: z.enum(changeRequestStatuses),
  summary: z.string(),
  change: z.unknown(),
  requestedBy: z.string(),
  requestedAt: z.number(),
  reason: z.string().nullable(),
  decidedBy: z.string().nullable(),
  decidedAt: z.number().nullable(),
});
export type ChangeRequestView = z.infer<typeof changeRequestViewSchema>;

/** What a change returns: applied (the new snapshot version) or filed for approval in a protected environment. */
export const changeResultSchema = z.object({
  applied: z.boolean(),
  version: z.number().int().nullable().describe("the environment's snapshot version after the change"),
  request: changeRequestViewSchema.nullable().describe("the change request awaiting approval"),
  flag: flagViewSchema.nullable(),
  message: z.string(),
});
export type ChangeResult = z.infer<typeof changeResultSchema>;

export const segmentViewSchema = z.object({
  key: z.string(),
  by: z.string(),
  included: z.array(z.string()),
  excluded: z.array(z.string()),
  rules: z.array(looseObject),
});

export const evaluationViewSchema = z.object({
  key: z.string(),
  value: z.unknown(),
  variation: z.string(),
  reason: z.string(),
  errorCode: z.string().optional(),
  errorMessage: z.string().optional(),
  version: z.number().int(),
});
export type EvaluationView = z.infer<typeof evaluationViewSchema>;
