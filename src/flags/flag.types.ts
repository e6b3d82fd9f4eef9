import { z } from "zod";
import type { FlagKind, FlagValueType, JsonValue, SegmentDefinition, Variation } from "../../packages/sdk/src/flag-data.ts";

export const FLAG_TYPES = ["boolean", "string", "number", "json"] as const satisfies readonly FlagValueType[];
export const FLAG_KINDS = ["release", "experiment", "ops", "permission", "kill-switch"] as const satisfies readonly FlagKind[];
export const CLAUSE_OPERATORS = [
  "in",
  "not_in",
  "equals",
  "not_equals",
  "starts_with",
  "ends_with",
  "contains",
  "lt",
  "lte",
  "gt",
  "gte",
  "semver_eq",
  "semver_lt",
  "semver_gt",
  "matches",
  "in_segment",
  "not_in_segment",
] as const;

/** Expected lifetime per kind (days) before a flag is "potentially stale"; null: meant to stay. */
export const KIND_LIFETIME_DAYS: Record<FlagKind, number | null> = {
  release: 40,
  experiment: 40,
  ops: 7,
  permission: null,
  "kill-switch": null,
};

// Keys travel in the x-rampart-flags header (`key=variation,…`) and in URLs, so no separators or spaces.
const KEY = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
export const keySchema = z.string({ error: "expected a key: letters, digits, '.', '_' or '-' (up to 100)" }).regex(KEY, {
  error: (issue) =>
    `${JSON.stringify(issue.input)} is not a valid key: use letters, digits, '.', '_' or '-', starting with a letter or digit (up to 100)`,
});
const attributeSchema = z.string({ error: "expected a context attribute name, e.g. userId" }).min(1).max(100);

const jsonValueSchema: z.ZodType<JsonValue> = z.lazy(() =>
  z.union([z.null(), z.boolean(), z.number(), z.string(), z.array(jsonValueSchema), z.record(z.string(), jsonValueSchema)]),
);

export const variationSchema = z.strictObject({ key: keySchema, value: jsonValueSchema.describe("must match the flag's type") });
export const clauseSchema = z.strictObject({
  attribute: attributeSchema,
  operator: z.enum(CLAUSE_OPERATORS),
  values: z
    .array(z.union([z.string().max(2000), z.number(), z.boolean()]))
    .min(1, { error: "give at least one value" })
    .max(10_000),
});
export const rolloutSchema = z.strictObject({
  by: attributeSchema.describe("context attribute that keeps a user on one side, e.g. userId"),
  percentage: z.number().min(0).max(100).describe("0..100; raising it keeps everyone already in"),
  variations: z.array(z.strictObject({ variation: keySchema, weight: z.number().positive() })).min(1),
  outVariation: keySchema,
});
export const serveSchema = z.union([z.strictObject({ variation: keySchema }), z.strictObject({ rollout: rolloutSchema })], {
  error: "expected { variation: KEY } or { rollout: { by, percentage, variations, outVariation } }",
});
export const ruleSchema = z.strictObject({
  id: z.string().min(1).max(100).optional(),
  clauses: z.array(clauseSchema).min(1, { error: "a rule needs at least one clause" }).max(100),
  serve: serveSchema,
});
export const prerequisiteSchema = z.strictObject({ flag: keySchema, variation: keySchema });

const reasonSchema = z.string().max(500).optional().describe("why; recorded in the event");

export const createFlagBodySchema = z.strictObject({
  key: keySchema,
  type: z.enum(FLAG_TYPES).default("boolean"),
  kind: z.enum(FLAG_KINDS).default("release"),
  description: z.string().max(1000).default(""),
  variations: z.array(variationSchema).min(2).max(100).optional().describe("required unless boolean (which has on=true, off=false)"),
  offVariation: keySchema.optional().describe("served when the flag is killed and by default; boolean: off, else the first variation"),
});
export type CreateFlagBody = z.infer<typeof createFlagBodySchema>;

export const envStatePatchSchema = z.strictObject({
  enabled: z.boolean().optional().describe("false = killed: everyone gets the off variation"),
  prerequisites: z.array(prerequisiteSchema).max(50).optional(),
  rules: z.array(ruleSchema).max(500).optional(),
  fallthrough: serveSchema.optional().describe("what everyone no rule matched gets"),
  reason: reasonSchema,
});
export type EnvStatePatch = z.infer<typeof envStatePatchSchema>;

export const percentRolloutBodySchema = z.strictObject({
  percentage: z.number().min(0).max(100),
  by: attributeSchema.default("targetingKey"),
  variation: keySchema.optional().describe("what the users in get; boolean default: on"),
  outVariation: keySchema.optional().describe("what the others get; default: the off variation"),
  reason: reasonSchema,
});
export type PercentRolloutBody = z.infer<typeof percentRolloutBodySchema>;

export const planBodySchema = z.strictObject({
  steps: z
    .array(z.number().gt(0).max(100))
    .min(1)
    .max(20)
    .refine((s) => s.every((v, i) => i === 0 || v > (s[i - 1] ?? 0)), { error: "steps must increase, e.g. [5, 25, 50, 100]" }),
  every: z.string().describe("how long each step holds before it may advance, e.g. 1h, 30s"),
  guards: z
    .strictObject({
      errors: z.string().optional(),
      p99: z.string().optional(),
      p50: z.string().optional(),
      business: z.array(z.string()).max(20).optional().describe("business guards, e.g. conversion:purchase>=0.98x, value:purchase>=0.95x"),
    })
    .default({}),
  onFail: z.enum(["pause", "off"]).default("pause"),
  by: attributeSchema.default("targetingKey"),
  variation: keySchema.optional(),
  outVariation: keySchema.optional(),
  minSamples: z.number().int().min(1).max(1_000_000).optional().describe("requests per side before a step may pass (default 100)"),
  reason: reasonSchema,
});
export type PlanBody = z.infer<typeof planBodySchema>;

export const actorBodySchema = z.strictObject({ reason: reasonSchema });
export type ActorBody = z.infer<typeof actorBodySchema>;

export const segmentBodySchema = z.strictObject({
  by: attributeSchema.default("targetingKey"),
  included: z.array(z.string().max(500)).max(100_000).default([]),
  excluded: z.array(z.string().max(500)).max(100_000).default([]),
  rules: z
    .array(z.strictObject({ clauses: z.array(clauseSchema).min(1).max(100) }))
    .max(100)
    .default([]),
  reason: reasonSchema,
});
export type SegmentBody = z.infer<typeof segmentBodySchema>;

/** A flag's definition, shared by every environment. Immutable after creation except `description`. */
export interface FlagRecord {
  key: string;
  type: FlagValueType;
  kind: FlagKind;
  description: string;
  variations: Variation[];
  offVariation: string;
  salt: string;
  createdAt: number;
  createdBy: string;
}

/** A flag's targeting in one environment: the part that changes, is approved and is rolled out. Stored as JSON. */
export const flagEnvStateSchema = z.object({
  enabled: z.boolean(),
  prerequisites: z.array(prerequisiteSchema),
  // Stored rules always have their id (the service gives one to each rule sent without).
  rules: z.array(ruleSchema.extend({ id: z.string() })),
  fallthrough: serveSchema,
});
export type FlagEnvState = z.infer<typeof flagEnvStateSchema>;

export interface FlagEnvRecord extends FlagEnvState {
  flag: string;
  env: string;
  updatedAt: number;
  updatedBy: string;
  /** Since when every context gets the same variation (no rules, one served variation), else null. */
  uniformSince: number | null;
}

/** A segment in one environment, as stored (its key is the row's): the SDK's SegmentDefinition without its key. */
export const segmentStateSchema = z.object({
  by: z.string(),
  included: z.array(z.string()),
  excluded: z.array(z.string()),
  rules: z.array(z.object({ clauses: z.array(clauseSchema) })),
}) satisfies z.ZodType<Omit<SegmentDefinition, "key">>;
export type SegmentState = z.infer<typeof segmentStateSchema>;

/** A flag's variations, as stored. */
export const storedVariationsSchema = z.array(variationSchema);
