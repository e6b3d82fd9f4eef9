import { z } from "zod";

/** web-vitals' thresholds [good, poor] (GoogleChrome/web-vitals source): above poor is "poor", above good "needs-improvement". */
export const VITAL_THRESHOLDS = Object.freeze({
  lcp: [2500, 4000],
  inp: [200, 500],
  cls: [0.1, 0.25],
  fcp: [1800, 3000],
  ttfb: [800, 1800],
} as const);

export const vitalSummarySchema = z.object({
  /** The 75th percentile (ms; CLS unitless), estimated from the histogram; null with no report. */
  p75: z.number().nullable(),
  /** Reports received. */
  count: z.number(),
  rating: z.enum(["good", "needs-improvement", "poor"]).nullable(),
});
export type VitalSummary = z.infer<typeof vitalSummarySchema>;

export const rumReleaseSchema = z.object({
  release: z.number().int(),
  lcp: vitalSummarySchema,
  inp: vitalSummarySchema,
  cls: vitalSummarySchema,
  fcp: vitalSummarySchema,
  ttfb: vitalSummarySchema,
  jsErrors: z.number(),
});
export type RumRelease = z.infer<typeof rumReleaseSchema>;

export const rumSummarySchema = z.object({
  env: z.string(),
  app: z.string(),
  /** Epoch ms: the period's start. */
  since: z.number(),
  /** Newest release first. */
  releases: z.array(rumReleaseSchema),
});
export type RumSummary = z.infer<typeof rumSummarySchema>;
