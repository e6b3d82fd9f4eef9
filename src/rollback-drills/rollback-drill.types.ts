import { z } from "zod";

export const drillStatuses = ["running", "passed", "failed"] as const;
export type DrillStatus = (typeof drillStatuses)[number];

/** Where a running drill is (kept in memory: a phase change is progress, not state anyone audits). */
export const drillPhases = ["deploying", "rolling_back", "draining", "finished"] as const;
export type DrillPhase = (typeof drillPhases)[number];

/** What one drill measured. */
export const drillResultSchema = z.object({
  /** The release the drill deployed (same artifact as the live one) and the one its rollback made (or returned to). */
  deployedRelease: z.number().int().nullable(),
  rollbackRelease: z.number().int().nullable(),
  /** The release live before the drill, whose artifact the rollback brings back. */
  previousRelease: z.number().int(),
  rate: z.number().positive().describe("requests per second of the paced load through the edge"),
  url: z.string(),
  sent: z.number().int().nonnegative(),
  failed: z.number().int().nonnegative().describe("5xx, network errors and timeouts during the whole drill"),
  statuses: z.record(z.string(), z.number().int()),
  deployMs: z.number().nullable().describe("from the deploy to the drilled release live and the old one drained"),
  rollbackMs: z
    .number()
    .nullable()
    .describe("from the rollback command to the routing table sending 100% of requests to the previous artifact's release"),
  drainedMs: z.number().nullable().describe("from the rollback command to its rollout completed (the drilled release drained)"),
  /** Requests the edge counted per release from one second after the switch to the end: only the rollback release's. */
  servedAfterSwitch: z.record(z.string(), z.number().int()),
});
export type DrillResult = z.infer<typeof drillResultSchema>;

export const rollbackDrillSchema = z.object({
  id: z.string(),
  env: z.string(),
  app: z.string(),
  status: z.enum(drillStatuses),
  phase: z.enum(drillPhases),
  trigger: z.enum(["manual", "schedule"]),
  actor: z.string(),
  allowProduction: z.boolean(),
  startedAt: z.number().int(),
  finishedAt: z.number().int().nullable(),
  result: drillResultSchema.nullable(),
  error: z.string().nullable().describe("why the drill failed, when it did"),
});
export type RollbackDrill = z.infer<typeof rollbackDrillSchema>;

export const startDrillBodySchema = z.strictObject({
  rate: z.number().positive().max(1000).default(20).describe("requests per second of light load through the edge"),
});
export type StartDrillBody = z.infer<typeof startDrillBodySchema>;

/** What readiness reads: when the app was last drilled in the environment and whether that drill passed. */
export interface LatestDrill {
  at: number;
  ok: boolean;
}
