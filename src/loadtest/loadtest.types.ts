import { z } from "zod";

export const latencySchema = z.object({
  p50: z.number(),
  p90: z.number(),
  p95: z.number(),
  p99: z.number(),
  max: z.number(),
});

export const thresholdOutcomeSchema = z.object({
  threshold: z.string().describe("as given, e.g. p99<300ms or errors<1%"),
  actual: z.number(),
  ok: z.boolean(),
});

/** The app's instances meanwhile (sampled from /proc by the CLI on the same machine). */
export const appUsageSchema = z.object({
  instances: z.number().int().nonnegative(),
  cpuSeconds: z.number().nonnegative(),
  cpuPercent: z.number().nonnegative().describe("of one core, summed over the instances"),
  maxRssBytes: z.number().int().nonnegative().describe("the highest resident memory seen, summed over the instances"),
});
export type AppUsage = z.infer<typeof appUsageSchema>;

/** One run of `rampart loadtest`: measured from each request's intended send time (no coordinated omission). */
export const loadResultSchema = z.object({
  url: z.string(),
  rate: z.number().positive().describe("requests per second asked for"),
  durationMs: z.number().int().positive(),
  sent: z.number().int().nonnegative(),
  ok: z.number().int().nonnegative(),
  errors: z.number().int().nonnegative().describe("network errors, timeouts, 5xx, and requests not sent because too many were in flight"),
  errorRate: z.number().min(0).max(1),
  achievedRps: z.number().nonnegative(),
  latencyMs: latencySchema,
  statuses: z.record(z.string(), z.number().int()),
  thresholds: z.array(thresholdOutcomeSchema),
  passed: z.boolean(),
  app: appUsageSchema.nullable().optional(),
});
export type LoadResult = z.infer<typeof loadResultSchema>;

export const recordLoadTestBodySchema = z.strictObject({
  result: loadResultSchema,
  allowProduction: z.boolean().default(false),
});

export const loadTestRecordSchema = z.object({
  eventId: z.number().int(),
  at: z.number().int(),
  actor: z.string(),
  result: loadResultSchema,
});
export type LoadTestRecord = z.infer<typeof loadTestRecordSchema>;

export const recordedLoadTestSchema = z.object({
  recorded: loadTestRecordSchema,
  previous: loadTestRecordSchema.nullable(),
});
export type RecordedLoadTest = z.infer<typeof recordedLoadTestSchema>;
