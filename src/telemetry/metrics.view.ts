import { z } from "zod";
import { MAX_WINDOW_MS, parseDuration } from "../config/units.ts";
import { parseMatchers } from "./metrics-matchers.ts";
import { QUERY_FUNCTIONS } from "./metrics-query.ts";
import { LABEL_NAME, METRIC_NAME } from "./metrics.types.ts";

/** A duration like the manifest's (`15s`, `5m`), as a query parameter; milliseconds out. */
const durationParam = (example: string) =>
  z.string().transform((value, ctx): number => {
    const parsed = parseDuration(value, { maxMs: MAX_WINDOW_MS });
    if (parsed.ok && parsed.value >= 1000) return parsed.value;
    ctx.addIssue({
      code: "custom",
      message: parsed.ok ? `expected 1s to 400d, got ${JSON.stringify(value)}` : `${parsed.message} (e.g. ${example})`,
    });
    return z.NEVER;
  });

const epochError = { error: "expected epoch milliseconds, e.g. 1767225600000" };
const epochMs = z.coerce.number(epochError).int(epochError).min(0, epochError).max(1e14, epochError);

const labelList = z.string().transform((value, ctx): string[] => {
  const names = value
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  const bad = names.find((n) => !LABEL_NAME.test(n));
  if (bad === undefined) return names;
  ctx.addIssue({ code: "custom", message: `expected label names separated by commas (e.g. release,route), got ${JSON.stringify(bad)}` });
  return z.NEVER;
});

export const metricsQuerySchema = z.strictObject({
  metric: z
    .string({ error: "expected a metric name, e.g. rampart_http_requests_total" })
    .regex(METRIC_NAME, { error: "expected a metric name (letters, digits, _ and :), e.g. rampart_http_requests_total" }),
  fn: z.enum(QUERY_FUNCTIONS, { error: `expected one of ${QUERY_FUNCTIONS.join(", ")}` }).default("rate"),
  by: labelList.optional().describe("labels to group by, comma-separated (like PromQL's `by`)"),
  filter: z
    .string()
    .transform((value, ctx) => {
      const parsed = parseMatchers(value);
      if (parsed.ok) return parsed.labels;
      ctx.addIssue({ code: "custom", message: parsed.message });
      return z.NEVER;
    })
    .optional()
    .describe('equality matchers, e.g. env="production",app="web"'),
  q: z.coerce
    .number({ error: "expected a number from 0 to 1, e.g. 0.99" })
    .min(0, { error: "expected a number from 0 to 1, e.g. 0.99" })
    .max(1, { error: "expected a number from 0 to 1, e.g. 0.99" })
    .default(0.99)
    .describe("the quantile, with fn=quantile"),
  from: epochMs.optional().describe("epoch ms; default to − 5m"),
  to: epochMs.optional().describe("epoch ms; default now"),
  step: durationParam("15s").optional().describe("between evaluation points; default: one point at `to`"),
  window: durationParam("1m").optional().describe("each point's look-back window; default step, or from..to for one point"),
});
export type MetricsQueryParams = z.output<typeof metricsQuerySchema>;

export const metricsQueryResultSchema = z.object({
  metric: z.string(),
  fn: z.enum(QUERY_FUNCTIONS),
  from: z.number(),
  to: z.number(),
  stepMs: z.number(),
  windowMs: z.number(),
  /** "memory" (one-second rings) or "rollups" (one-minute rows; the range reaches past the last hour). */
  source: z.enum(["memory", "rollups"]),
  series: z.array(z.object({ labels: z.record(z.string(), z.string()), points: z.array(z.tuple([z.number(), z.number().nullable()])) })),
});
export type MetricsQueryResult = z.infer<typeof metricsQueryResultSchema>;

export const SUMMARY_BY = ["route", "release", "instance", "code"] as const;

export const summaryQuerySchema = z.strictObject({
  by: z.enum(SUMMARY_BY, { error: `expected one of ${SUMMARY_BY.join(", ")}` }).optional(),
  since: durationParam("5m").default(300_000).describe("look-back, e.g. 5m (default)"),
});

const summaryRowSchema = z.object({
  /** The `by` label's value; null in the total row. */
  key: z.string().nullable(),
  requests: z.number().describe("requests the edge answered in the window"),
  rps: z.number().describe("requests per second over the window"),
  errors: z.number().describe("answers with status >= 500"),
  errorPercent: z.number(),
  p50Ms: z.number().nullable(),
  p95Ms: z.number().nullable(),
  p99Ms: z.number().nullable(),
});
export type SummaryRow = z.infer<typeof summaryRowSchema>;

export const metricsSummarySchema = z.object({
  env: z.string(),
  app: z.string(),
  by: z.enum(SUMMARY_BY).nullable(),
  from: z.number(),
  to: z.number(),
  rows: z.array(summaryRowSchema),
  total: summaryRowSchema,
});
export type MetricsSummary = z.infer<typeof metricsSummarySchema>;
