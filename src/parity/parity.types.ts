import { z } from "zod";

export const SEVERITIES = ["critical", "warning", "info"] as const;
export type Severity = (typeof SEVERITIES)[number];

/** One difference between the two environments. Values are shown as they are, except secrets: name and version only. */
export const driftSchema = z.object({
  app: z.string().nullable().describe("null for what belongs to no app (flags, the environments' edge limits)"),
  key: z.string().describe("what differs, e.g. env.LOG_LEVEL, instances, databases.main.indexes.users_email_idx"),
  category: z.string().describe("the key's first part: what an allow entry names (parity: { allow: [instances] })"),
  severity: z.enum(SEVERITIES),
  from: z.unknown().describe("the value in the first environment (null: absent there)"),
  to: z.unknown().describe("the value in the second environment (null: absent there)"),
  message: z.string(),
  allowed: z.boolean().describe("declared as intended in rampart.yaml parity.allow: listed, not counted"),
});
export type Drift = z.infer<typeof driftSchema>;
/** A drift before the allow lists are applied. */
export type DriftDraft = Omit<Drift, "allowed" | "category" | "app">;

export const runtimeSchema = z.object({
  binary: z.string().describe("what /proc/PID/exe of the app's process points at"),
  name: z.string().describe("the binary's name, e.g. node, python3.11"),
  version: z.string().nullable().describe("its --version (interpreters only; null for others)"),
  instances: z.number().int().describe("how many of the live release's instances run it"),
});
export type RuntimeView = z.infer<typeof runtimeSchema>;

export const tableStatsSchema = z.object({
  name: z.string().describe("schema.table, or just table in public"),
  rows: z.number().describe("estimated rows (pg_class.reltuples, else pg_stat_user_tables.n_live_tup)"),
  bytes: z.number().describe("table, indexes and TOAST (pg_total_relation_size)"),
  indexes: z.array(z.object({ name: z.string(), definition: z.string() })),
});
export type TableStats = z.infer<typeof tableStatsSchema>;

export const databaseSideSchema = z.object({
  name: z.string(),
  kind: z.string(),
  error: z.string().nullable().describe("why it could not be read (the URL is never shown)"),
  tables: z.array(tableStatsSchema),
});
export type DatabaseSide = z.infer<typeof databaseSideSchema>;

/** What one app is and runs in one environment: the live release's config, its instances, secrets, databases. */
export const appSideSchema = z.object({
  env: z.string(),
  release: z.number().int().nullable().describe("the live release; null: nothing live"),
  artifact: z.string().nullable().describe("the digest of the artifact it serves"),
  run: z.string().nullable(),
  build: z.string().nullable(),
  envVars: z.record(z.string(), z.string()),
  secrets: z.record(z.string(), z.object({ version: z.number().int(), setAt: z.number() })).describe("names and versions, never values"),
  instances: z.object({
    declared: z.number().int().nullable(),
    running: z.number().int().describe("instances of the live release not stopped"),
    healthy: z.number().int(),
  }),
  limits: z
    .object({ bodyBytes: z.number(), ratePerSecond: z.number().nullable(), burst: z.number().nullable(), timeoutMs: z.number() })
    .nullable(),
  routes: z.array(z.string()).nullable(),
  hosts: z.array(z.string()).nullable(),
  health: z
    .object({ path: z.string(), intervalMs: z.number(), timeoutMs: z.number(), startTimeoutMs: z.number(), unhealthyThreshold: z.number() })
    .nullable(),
  drainMs: z.number().nullable(),
  strategy: z.string().nullable(),
  runtimes: z.array(runtimeSchema),
  databases: z.array(databaseSideSchema),
});
export type AppSide = z.infer<typeof appSideSchema>;

/** A flag's state in one environment (flags belong to the project, not to an app). */
export const flagSideSchema = z.object({ enabled: z.boolean(), serving: z.string() }).nullable();
export type FlagSide = z.infer<typeof flagSideSchema>;

export const environmentLimitsSchema = z.object({ headerTimeoutMs: z.number(), idleTimeoutMs: z.number(), maxHeaderBytes: z.number() });
export type EnvironmentLimits = z.infer<typeof environmentLimitsSchema>;

export const paritySummarySchema = z.object({
  critical: z.number().int(),
  warning: z.number().int(),
  info: z.number().int(),
  allowed: z.number().int().describe("drifts declared as intended (any severity)"),
  unallowedCritical: z.number().int().describe("critical drifts not allowed: rampart parity exits 3 when this is not 0"),
});
export type ParitySummary = z.infer<typeof paritySummarySchema>;

export const parityReportSchema = z.object({
  from: z.string(),
  to: z.string(),
  generatedAt: z.number(),
  apps: z.array(z.object({ app: z.string(), allow: z.array(z.string()), from: appSideSchema, to: appSideSchema })),
  flags: z.array(z.object({ key: z.string(), from: flagSideSchema, to: flagSideSchema })),
  drifts: z.array(driftSchema).describe("critical first, then warning, then info"),
  summary: paritySummarySchema.describe("counts of drifts not allowed, by severity"),
});
export type ParityReport = z.infer<typeof parityReportSchema>;

export const parityQuerySchema = z.strictObject({
  from: z.string().min(1).describe("the environment compared from, e.g. staging"),
  to: z.string().min(1).describe("the environment compared to, e.g. production"),
  app: z.string().min(1).optional().describe("only this app (flags are compared either way)"),
});
export type ParityQuery = z.infer<typeof parityQuerySchema>;
