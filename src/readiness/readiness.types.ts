import { z } from "zod";

/**
 * The readiness checks, in the order the scorecard shows them. Each is computed from what the platform records
 * (the manifest, releases, artifacts, synthetic checks, on-call, load tests, drills, parity); none is ticked by hand.
 */
export const readinessCheckNames = [
  "health_check",
  "no_secrets",
  "owner",
  "runbook",
  "alerts_routed",
  "checks_green",
  "release_strategy",
  "load_test",
  "rollback_drill",
  "parity",
] as const;
export type ReadinessCheckName = (typeof readinessCheckNames)[number];

/** What a protected environment requires when rampart.yaml says nothing: what a manifest with a health check meets. */
export const DEFAULT_PROTECTED_REQUIRE: readonly ReadinessCheckName[] = ["health_check", "no_secrets"];
export const DEFAULT_MAX_AGE_DAYS = 30;

/** An environment's readiness settings, resolved (rampart.yaml `environments.<env>.readiness`). */
export interface ReadinessSettings {
  require: ReadinessCheckName[];
  /** How recent a load test and a rollback drill must be. */
  maxAgeDays: number;
  /** The rate (requests/s) a passed load test must have been run at; null: any rate. */
  loadRate: number | null;
  /** Where load tests, drills and parity are looked for (the environment a release is tried in first); null: none. */
  staging: string | null;
}

/** Per app: what the scorecard reads from rampart.yaml beside the resolved app. */
export interface AppReadinessFacts {
  owner: string | null;
  runbook: string | null;
  /** The environments where a health check path is written in rampart.yaml (the app's or the environment's). */
  healthDeclaredIn: string[];
}

export interface ReadinessManifest {
  environments: Record<string, ReadinessSettings>;
  apps: Record<string, AppReadinessFacts>;
}

/**
 * Rollback drills are another capability's; readiness reads them through this. The latest drill of the app in
 * the environment: when it ran and whether the previous release came back serving.
 */
export interface RollbackDrillSource {
  latest(env: string, app: string): Promise<{ at: number; ok: boolean } | null>;
}

/** Staging/production parity, another capability's: drift not covered by the declared allowed differences. */
export interface ParitySource {
  drift(app: string, fromEnv: string, toEnv: string): Promise<{ unallowed: number; summary: string } | null>;
}

/** The latest load test of the app in an environment (src/loadtest). */
export interface LoadTestSource {
  latest(env: string, app: string): Promise<{ at: number; result: { passed: boolean; rate: number; achievedRps: number } } | null>;
}

/** Who is on call now in each declared schedule (src/oncall), with the person's channels. */
export interface OnCallSource {
  who(): Promise<{ schedules: { schedule: string; user: string; contact: { email?: string; webhook?: string } | null }[] }>;
}

export const findingSchema = z.object({
  file: z.string().describe("relative to the artifact's source"),
  line: z.number().int().positive(),
  kind: z.string().describe("e.g. aws_access_key, github_token, private_key, high_entropy, app_secret:DATABASE_URL; never the value"),
});
export type Finding = z.infer<typeof findingSchema>;

export const checkStatuses = ["pass", "fail", "unavailable"] as const;
export type CheckStatus = (typeof checkStatuses)[number];

export const readinessCheckSchema = z.object({
  name: z.enum(readinessCheckNames),
  required: z.boolean().describe("required by rampart.yaml for this environment; the others are advice"),
  status: z.enum(checkStatuses).describe("unavailable: the platform cannot tell (e.g. no drills capability); counts as not passing"),
  detail: z.string().describe("what was found, or why it fails"),
  fix: z.string().nullable().describe("the command (or rampart.yaml edit) that fixes it; null when it passes"),
  findings: z.array(findingSchema).optional(),
});
export type ReadinessCheck = z.infer<typeof readinessCheckSchema>;

export const readinessReportSchema = z.object({
  env: z.string(),
  app: z.string(),
  protected: z.boolean(),
  /** True when no release of the app exists in this protected environment yet: its first deploy is gated. */
  gated: z.boolean(),
  ready: z.boolean().describe("every required check passes"),
  artifact: z.object({ digest: z.string(), from: z.string() }).nullable().describe("the artifact scanned for secrets"),
  checks: z.array(readinessCheckSchema),
});
export type ReadinessReport = z.infer<typeof readinessReportSchema>;

export const overrideBodySchema = z.strictObject({
  reason: z.string().trim().min(3).max(500).describe("why the first deploy may go out with failing checks (recorded)"),
});

export const overrideViewSchema = z.object({
  env: z.string(),
  app: z.string(),
  actor: z.string(),
  reason: z.string(),
  at: z.number().int(),
  expiresAt: z.number().int().describe("the next first deploy before this time goes out despite failing checks"),
  failing: z.array(z.enum(readinessCheckNames)),
});
export type OverrideView = z.infer<typeof overrideViewSchema>;
