import type { AppChecks } from "../checks/checks.schema.ts";
import { z } from "zod";
import type { BackupSettings } from "../backup/backup.service.ts";
import type { DrillSchedule } from "../rollback-drills/rollback-drill.schema.ts";
import type { AccessPolicy } from "../access/access-policy.schema.ts";
import { apiSettingsSchema } from "./api-settings.schema.ts";
import { oidcSettingsSchema } from "../access/oidc-settings.ts";
import type { OncallFile } from "../oncall/oncall.schema.ts";
import type { AlertRuleFile, AlertsFile } from "../alerts/alert-rules.schema.ts";
import type { ReadinessManifest } from "../readiness/readiness.types.ts";

/**
 * The resolved manifest: what the rest of Rampart reads. Every default is applied, durations
 * are milliseconds and keys are camelCase. These schemas exist so the types come from one
 * place and so the API can validate and document a manifest it sends or receives.
 */

export const RELEASE_STRATEGIES = ["rolling", "blue-green", "canary"] as const;

/** A latency guard is either an absolute ceiling (`300ms`) or relative to the stable release (`1.5x`). */
export const latencyGuardSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("absolute"), ms: z.number() }),
  z.object({ kind: z.literal("relative"), ratio: z.number() }),
]);

/** An error-rate guard: a ceiling (`1%` ⇒ rate 0.01) or a multiple of the stable release's rate (`2x`). */
export const errorRateGuardSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("absolute"), rate: z.number() }),
  z.object({ kind: z.literal("relative"), ratio: z.number() }),
]);

export const resolvedAppSchema = z.object({
  name: z.string(),
  /** Absolute path of the directory snapshotted into each artifact. */
  source: z.string(),
  /** Gitignore-style patterns left out of artifacts (apps.<app>.exclude); older releases have none. */
  exclude: z.array(z.string()).default([]),
  build: z.string().nullable(),
  run: z.string(),
  instances: z.number().int(),
  routes: z.array(z.string()),
  /** Lowercased; null means the routes apply on any host. */
  hosts: z.array(z.string()).nullable(),
  health: z.object({
    path: z.string(),
    intervalMs: z.number(),
    timeoutMs: z.number(),
    /** How long a new instance may take to become healthy before it counts as failed. */
    startTimeoutMs: z.number(),
    unhealthyThreshold: z.number().int(),
  }),
  drainMs: z.number(),
  /** Upstream response-header timeout at the edge. */
  timeoutMs: z.number(),
  env: z.record(z.string(), z.string()),
  limits: z.object({
    /** Larger request bodies are refused with 413. */
    bodyBytes: z.number().int(),
    /** Per client IP; null: no rate limit. */
    ratePerSecond: z.number().nullable(),
    burst: z.number().int().nullable(),
  }),
  /** What keeps a user on one side of a canary split: null is the cookie the edge sets itself. */
  sticky: z.object({ kind: z.enum(["cookie", "header"]), name: z.string() }).nullable(),
  /**
   * Client request headers named with an underscore: dropped at the edge (as nginx does), or forwarded. Absent in
   * releases made before it existed (dropped).
   */
  headers: z.object({ underscores: z.enum(["drop", "allow"]) }).optional(),
  /** The app's own Prometheus endpoint, scraped on each instance; null: not scraped. Absent in releases made before it existed. */
  metrics: z.object({ path: z.string(), intervalMs: z.number() }).nullable().optional(),
  /** Authentication at the edge (apps.<app>.auth); absent or null: none. The JWKS is an absolute path or a URL. */
  auth: z
    .object({
      jwt: z.object({ jwks: z.string(), issuer: z.string(), audience: z.string(), requiredClaims: z.array(z.string()) }).nullable(),
      apiKeys: z.boolean(),
      public: z.array(z.string()),
    })
    .nullable()
    .optional(),
  /** Real-user monitoring (`rum: true`); absent in releases made before it existed (off). */
  rum: z.boolean().optional(),
  /** Secret names the manifest requires (apps.<app>.secrets). Absent in releases made before secrets existed. */
  secrets: z.array(z.string()).optional(),
  /** Secrets injected as files (RAMPART_SECRETS_DIR) rather than environment variables. */
  secretFiles: z.boolean().optional(),
  /** The release's snapshot: each secret's name and version (never a value); absent or empty: none injected. */
  secretVersions: z.record(z.string(), z.number().int()).optional(),
  /** Databases `rampart db query` may read (apps.<app>.databases); absent: none. */
  databases: z.record(z.string(), z.object({ kind: z.literal("postgres"), urlSecret: z.string() })).optional(),
  release: z.object({
    strategy: z.enum(RELEASE_STRATEGIES),
    /** Canary traffic percentages (1–100), ascending. */
    steps: z.array(z.number().int()),
    pauseMs: z.number(),
    /** How long the replaced release's instances stay up after a switch, so a rollback is instant. */
    keepWarmMs: z.number(),
    /** Rolling and blue-green: after the last traffic move, the new instances must stay up this long before the old ones are stopped. */
    settleMs: z.number().default(0),
    /** Canary: a step held this long after its pause without a verdict (pass or fail) fails the rollout. Absent in older releases. */
    holdTimeoutMs: z.number().default(600_000),
    guards: z.object({
      /** null: the analysis default applies. */
      errorRate: errorRateGuardSchema.nullable(),
      p99Latency: latencyGuardSchema.nullable(),
      p50Latency: latencyGuardSchema.nullable(),
      /** Web-vital p75 guards (lcp_p75: 1.2x …), keyed lcp, inp, cls, fcp, ttfb; absent in older releases: none. */
      rum: z.record(z.string(), latencyGuardSchema).optional(),
    }),
  }),
});

export const environmentConfigSchema = z.object({
  port: z.number().int(),
  bind: z.string(),
  protected: z.boolean(),
  /** TLS termination from these PEM files (absolute paths), reloaded when they change; null: plain HTTP. */
  tls: z.object({ certFile: z.string(), keyFile: z.string() }).nullable(),
  /** Client addresses or blocks allowed to pin a request to a release with X-Rampart-Release. */
  pinFrom: z.array(z.string()),
  /** The edge's server spans: share of new traces sampled (0..1); every request at least this slow gets one too. */
  tracing: z.object({ sampleRate: z.number(), slowMs: z.number() }),
  limits: z.object({ headerTimeoutMs: z.number(), idleTimeoutMs: z.number(), maxHeaderBytes: z.number().int() }),
  /** The edge's access log (environments.<env>.access_log); absent: none. */
  accessLog: z.object({ maxBytes: z.number().int(), keep: z.number().int() }).optional(),
  /** HTTP/2 to clients: over TLS when ALPN picks h2; cleartext with prior knowledge on the same port. */
  http2: z.object({ tls: z.boolean(), cleartext: z.boolean() }),
});

export const manifestAppSchema = z.object({
  /** `apps.<app>.alerts` as written (validated by the file schema); absent when none. */
  alerts: z.custom<AlertRuleFile[]>().optional(),
  /** The app as written at the top level, without any environment's overrides. */
  base: resolvedAppSchema,
  /** The effective app in every declared environment. */
  perEnv: z.record(z.string(), resolvedAppSchema),
  /** `apps.<app>.parity.allow`: intended differences between environments; absent when none. */
  parity: z.object({ allow: z.array(z.string()) }).optional(),
});

export const manifestSchema = z.object({
  name: z.string(),
  /** Absolute path of the manifest file. */
  path: z.string(),
  /** Absolute directory the manifest's relative paths are resolved against. */
  dir: z.string(),
  environments: z.record(z.string(), environmentConfigSchema),
  apps: z.record(z.string(), manifestAppSchema),
  /** Just-in-time access policy (src/access/access-policy.schema.ts); absent in manifests built before it existed. */
  access: z.custom<AccessPolicy>().optional(),
  /** Where the control-plane API listens and its TLS (rampart.yaml `api:`); absent in manifests built before it existed. */
  api: apiSettingsSchema.optional(),
  /** OpenID Connect login (rampart.yaml `access.oidc`); null or absent: not configured. */
  oidc: oidcSettingsSchema.nullable().optional(),
  /** The `alerts:` mapping as written (validated by the file schema); absent when none. */
  alerts: z.custom<AlertsFile>().optional(),
  /** Per app: synthetic checks and heartbeats (src/checks/checks.schema.ts); absent in manifests built before they existed. */
  checks: z.custom<Record<string, AppChecks>>().optional(),
  /** The `oncall:` mapping as validated (src/oncall/oncall.schema.ts); absent when none. */
  oncall: z.custom<OncallFile>().optional(),
  /** rampart.yaml `backups:` resolved (src/backup/backup.schema.ts); absent when not configured. */
  backups: z.custom<BackupSettings>().optional(),
  /** rampart.yaml top-level `parity.allow` (flags, environment limits); absent when none. */
  parity: z.object({ allow: z.array(z.string()) }).optional(),
  /** Readiness settings per environment and owner/runbook/health facts per app (src/readiness); absent in older manifests. */
  readiness: z.custom<ReadinessManifest>().optional(),
  /** rampart.yaml `drills.rollback` resolved (src/rollback-drills/rollback-drill.schema.ts); absent when not configured. */
  drills: z.custom<DrillSchedule>().optional(),
});

export type LatencyGuard = z.infer<typeof latencyGuardSchema>;
export type ErrorRateGuard = z.infer<typeof errorRateGuardSchema>;
export type ResolvedApp = z.infer<typeof resolvedAppSchema>;
export type EnvironmentConfig = z.infer<typeof environmentConfigSchema>;
export type ManifestApp = z.infer<typeof manifestAppSchema>;
export type Manifest = z.infer<typeof manifestSchema>;
export type ReleaseStrategy = (typeof RELEASE_STRATEGIES)[number];
/** What loadManifest returns; the same as Manifest, named for call sites that read a file. */
export type LoadedManifest = Manifest;
