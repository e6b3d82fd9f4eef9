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

const retentionSchema = z
  .object({
    afterDays: z.array(z.number()).describe("the N of 'returned after N days'"),
    variations: z.array(
      z.object({
        variation: z.string(),
        byDays: z.array(
          z.object({
            afterDays: z.number(),
            eligible: z.number().describe("users first exposed on a day d with day d+N over"),
            returned: z.number().describe("of them, seen again on a day at least N days after their first"),
            rate: intervalSchema,
            decision: decisionSchema.nullable().describe("against control; null for control"),
            difference: z.object({ estimate: z.number(), low: z.number().nullable(), high: z.number().nullable() }).nullable(),
          }),
        ),
      }),
    ),
    cohorts: z
      .array(
        z.object({
          day: z.string(),
          variations: z.array(
            z.object({
              variation: z.string(),
              users: z.number(),
              returned: z.array(z.number().nullable()).describe("per N; null until day d+N is over"),
            }),
          ),
        }),
      )
      .describe("per first-exposure day"),
  })
  .describe("exposed users returning after N days, per variation and per first-exposure day");

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
  retention: retentionSchema,
});
export type ExperimentResults = z.infer<typeof experimentResultsSchema>;

export const experimentReportSchema = z.object({
  flag: z.string(),
  env: z.string(),
  generatedAt: z.number(),
  markdown: z.string().describe("the report; what the weekly flag.experiment.report event and notice carry"),
  results: z.array(experimentResultsSchema).describe("the results behind it, one per metric (at most 5, most events first)"),
});
export type ExperimentReportView = z.infer<typeof experimentReportSchema>;
