import { z } from "zod";
import { alertViewSchema } from "../alerts/alert.view.ts";
import { eventSchema } from "../events/event.types.ts";
import { incidentViewSchema } from "../incidents/incident.types.ts";
import { onCallViewSchema } from "../oncall/oncall.types.ts";
import { rolloutViewSchema } from "../releases/rollout.view.ts";

export const overviewRowSchema = z.object({
  env: z.string(),
  app: z.string(),
  protected: z.boolean(),
  url: z.string(),
  live: z.number().int().nullable().describe("the live release; null before the first deploy"),
  deploying: z.number().int().nullable().describe("the release rolling out now"),
  instances: z.number().int(),
  healthy: z.number().int(),
  rps: z.number().describe("requests per second over the last minute"),
  errorPercent: z.number().describe("answers >= 500 over the last minute"),
  p99Ms: z.number().nullable(),
  spark: z.array(z.number().nullable()).describe("p99 latency in ms per minute over the last 30 minutes, oldest first"),
  rollout: rolloutViewSchema.nullable().describe("the rollout in progress, null when none"),
});
export type OverviewRow = z.infer<typeof overviewRowSchema>;

export const overviewSchema = z.object({
  at: z.number().int(),
  project: z.string(),
  rows: z.array(overviewRowSchema),
  changes: z.array(eventSchema).describe("the latest deploys, rollbacks, flag, secret and access changes, newest first"),
  alerts: z.array(alertViewSchema).describe("alerts firing now"),
  incidents: z.array(incidentViewSchema).describe("incidents not resolved"),
  oncall: z.array(onCallViewSchema).describe("who is on call now, per schedule"),
  hidden: z
    .array(z.string())
    .describe("environments left out because the caller may not read them (their rows, changes, alerts and incidents)"),
});
export type Overview = z.infer<typeof overviewSchema>;
