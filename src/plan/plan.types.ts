import { z } from "zod";

export const planSections = ["environments", "apps", "instances", "routes", "release", "alerts", "checks", "access", "platform"] as const;
export type PlanSection = (typeof planSections)[number];

/**
 * What carrying a change out takes: nothing more than `rampart apply` (null), a new release (`rampart deploy`,
 * the release's config is immutable), or a restart of `rampart up` (where the API listens).
 */
export const planNeeds = ["release", "restart"] as const;

export const planChangeSchema = z.object({
  op: z.enum(["+", "-", "~"]),
  section: z.enum(planSections),
  /** Where, as a manifest-like path: `environments.staging.port`, `apps.web[staging].instances`, `alerts.rules`. */
  path: z.string(),
  before: z.unknown().optional(),
  after: z.unknown().optional(),
  needs: z.enum(planNeeds).nullable(),
  /** The command that carries it out when `rampart apply` cannot. */
  command: z.string().nullable(),
  /** Something to know before applying (e.g. an app removed stops being routed). */
  note: z.string().nullable(),
});
export type PlanChange = z.infer<typeof planChangeSchema>;

export const planSchema = z.object({
  manifest: z.string().describe("the rampart.yaml compared"),
  /** A digest of the changes, so `apply` carries out exactly the plan that was shown (plan_changed otherwise). */
  digest: z.string(),
  changes: z.array(planChangeSchema),
});
export type Plan = z.infer<typeof planSchema>;

export const applyBodySchema = z.strictObject({
  digest: z.string().min(1).max(128).optional().describe("the plan's digest: refuse (plan_changed) if the plan is no longer that one"),
});

export const applyResultSchema = z.object({
  applied: z.array(planChangeSchema),
  /** Left for a release (`rampart deploy`) or a restart of `rampart up`, each with its command. */
  pending: z.array(planChangeSchema),
  eventId: z.number().int().nullable(),
});
export type ApplyResult = z.infer<typeof applyResultSchema>;

export const exportSchema = z.object({ yaml: z.string() });
