import { z } from "zod";

const intervalSchema = z.object({ estimate: z.number(), low: z.number(), high: z.number() });
const meanSchema = intervalSchema.extend({ variance: z.number() });
const decisionSchema = z.enum(["treatment_better", "treatment_worse", "keep_collecting"]);

export const variationDaySchema = z.object({
  variation: z.string(),
  exposed: z.number(),
  converted: z.number(),
  events: z.number(),
  conversion: intervalSchema.describe("users with >= 1 event / exposed users, always-valid interval"),
  eventsPerUser: meanSchema,
  valuePerUser: meanSchema,
  decision: decisionSchema.nullable().describe("conversion against control as of this day; null for control"),
});
export type VariationDay = z.infer<typeof variationDaySchema>;

const comparisonSchema = z.object({
  metric: z.enum(["conversion", "events", "value"]),
  decision: decisionSchema,
  difference: intervalSchema,
  relativeLift: z.number().nullable(),
  minimumDetectableEffect: z.number().nullable(),
  sampleNeeded: z.number().nullable(),
});

export const experimentResultsSchema = z.object({
  flag: z.string(),
  env: z.string(),
  metric: z.string().nullable(),
  control: z.string(),
  alpha: z.number(),
  targetEffect: z.number(),
  attributionWindowDays: z.number(),
  days: z.array(z.object({ day: z.string(), variations: z.array(variationDaySchema) })).describe("cumulative up to and including each day"),
  comparisons: z.array(
    z.object({ variation: z.string(), conversion: comparisonSchema, eventsPerUser: comparisonSchema, valuePerUser: comparisonSchema }),
  ),
  sampleRatio: z
    .object({
      mismatch: z.boolean(),
      evidence: z.number(),
      boundary: z.number(),
      observed: z.record(z.string(), z.number()),
      expected: z.record(z.string(), z.number()),
      source: z.string(),
    })
    .nullable(),
});
export type ExperimentResults = z.infer<typeof experimentResultsSchema>;
