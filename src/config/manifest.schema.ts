import { z } from "zod";
import { accessFileSchema } from "../access/access-policy.schema.ts";
import { checksFileSchema, heartbeatsFileSchema } from "../checks/checks.schema.ts";
import { ENVIRONMENT_DEFAULTS, MAX_INSTANCES } from "./manifest.defaults.ts";
import { apiFileSchema } from "./api.schema.ts";
import { backupsFileSchema } from "../backup/backup.schema.ts";
import { drillsFileSchema } from "../rollback-drills/rollback-drill.schema.ts";
import {
  bindAddress,
  booleanField,
  canarySteps,
  duration,
  percent,
  envVars,
  expected,
  hosts,
  latencyGuard,
  clsGuard,
  namedRecord,
  pathPrefix,
  errorRateGuard,
  addressBlock,
  port,
  rate,
  size,
  tokenName,
  positiveDuration,
  projectName,
  routes,
  strategy,
  text,
  wholeNumber,
} from "./fields.schema.ts";
import { alertRuleListSchema, alertsFileSchema } from "../alerts/alert-rules.schema.ts";
import { oncallFileSchema } from "../oncall/oncall.schema.ts";
import { parityFileSchema } from "../parity/parity.schema.ts";
import { ownerField, readinessFileSchema, runbookField } from "../readiness/readiness.schema.ts";

/**
 * The shape of rampart.yaml as written (snake_case). Objects are strict so a misspelt key is an
 * error rather than a silently ignored setting. App defaults are NOT applied here: an
 * environment override must only replace what it names, so defaults come after merging
 * (manifest.resolve.ts).
 */

function mapping<T extends z.ZodRawShape>(shape: T, what: string) {
  return z.strictObject(shape, { error: expected(what) });
}

const healthSchema = mapping(
  {
    path: pathPrefix.optional(),
    interval: positiveDuration.optional(),
    timeout: positiveDuration.optional(),
    start_timeout: positiveDuration.optional(),
    unhealthy_threshold: wholeNumber(1, 100).optional(),
  },
  "a mapping such as { path: /healthz, interval: 1s }",
);

const guardsSchema = mapping(
  {
    error_rate: errorRateGuard.optional(),
    p99_latency: latencyGuard.optional(),
    p50_latency: latencyGuard.optional(),
    // Real-user monitoring (apps with rum: true): the p75 of each web vital, canary against stable.
    lcp_p75: latencyGuard.optional(),
    inp_p75: latencyGuard.optional(),
    fcp_p75: latencyGuard.optional(),
    ttfb_p75: latencyGuard.optional(),
    cls_p75: clsGuard.optional(),
  },
  "a mapping such as { error_rate: 1%, p99_latency: 1.5x } (error_rate may be relative too: 2x)",
);

const releaseSchema = mapping(
  {
    strategy: strategy.optional(),
    steps: canarySteps.optional(),
    pause: duration.optional(),
    keep_warm: duration.optional(),
    settle: duration.optional(),
    hold_timeout: duration.optional(),
    guards: guardsSchema.optional(),
  },
  "a mapping such as { strategy: canary }",
);

const appLimitsSchema = mapping(
  {
    body: size.optional(),
    rate: rate.optional(),
    burst: wholeNumber(1, 1_000_000).optional(),
  },
  "a mapping such as { body: 10mb, rate: 100/s, burst: 200 }",
);

const stickySchema = mapping(
  {
    cookie: tokenName.optional(),
    header: tokenName.optional(),
  },
  "a mapping with one of cookie or header, e.g. { cookie: session_id }",
).refine((value) => (value.cookie === undefined) !== (value.header === undefined), {
  error: "name exactly one of cookie or header, e.g. { cookie: session_id }",
});

const headersSchema = mapping(
  {
    underscores: z.enum(["drop", "allow"], { error: expected("drop or allow") }).optional(),
  },
  "a mapping such as { underscores: allow }",
);

/** Authentication at the edge (src/edge/gateway-auth.ts); the shape is a contract scripts rely on (issue 18). */
const authSchema = mapping(
  {
    jwt: mapping(
      {
        jwks: text("a JWKS file (relative to rampart.yaml) or an https URL, e.g. ./jwks.json"),
        issuer: text("the tokens' issuer (iss), e.g. https://id.example.com/"),
        audience: text("the tokens' audience (aud), e.g. shop-api"),
        required_claims: z.array(text("a claim name, e.g. tenant"), { error: expected("a list of claim names, e.g. [tenant]") }).optional(),
      },
      "a mapping such as { jwks: ./jwks.json, issuer: https://id.example.com/, audience: shop-api }",
    ).optional(),
    api_keys: booleanField.optional(),
    public: z
      .array(
        pathPrefix.refine((value) => !/[?#]/.test(value), { error: "a public prefix is a path: no ? or #" }),
        { error: expected('a list of path prefixes, e.g. ["/healthz", "/assets"]') },
      )
      .optional(),
  },
  "a mapping such as { jwt: { jwks: ./jwks.json, issuer: …, audience: … }, api_keys: true, public: [/healthz] }",
).refine((auth) => auth.jwt !== undefined || auth.api_keys === true, {
  error: "auth lets nobody in without jwt or api_keys: true; add one (or remove auth)",
});

const metricsSchema = mapping(
  {
    path: pathPrefix.optional(),
    interval: positiveDuration.optional(),
  },
  "a mapping such as { path: /metrics, interval: 15s }",
);

/** Everything an environment may override. `source` may not: an artifact is promoted unchanged. */
const appSettingsShape = {
  build: text("a shell command").optional(),
  run: text("a shell command").optional(),
  instances: wholeNumber(1, MAX_INSTANCES).optional(),
  routes: routes.optional(),
  hosts: hosts.optional(),
  health: healthSchema.optional(),
  drain: duration.optional(),
  timeout: positiveDuration.optional(),
  env: envVars.optional(),
  release: releaseSchema.optional(),
  limits: appLimitsSchema.optional(),
  sticky: stickySchema.optional(),
  headers: headersSchema.optional(),
  metrics: metricsSchema.optional(),
  auth: authSchema.optional(),
  /** Real-user monitoring: the edge adds a web-vitals reporter to the app's HTML pages (docs/rum.md). */
  rum: z.boolean({ error: expected("true or false") }).optional(),
  /** Secret names the app needs (set with `rampart secrets set`); a deploy without one of them is refused. */
  secrets: z
    .array(
      text("a secret name, e.g. DATABASE_URL").regex(
        /^[A-Za-z_][A-Za-z0-9_]*$/,
        "a secret name is an environment variable name, e.g. DATABASE_URL",
      ),
    )
    .optional(),
  /** Secrets as files in a per-instance directory (RAMPART_SECRETS_DIR) instead of environment variables. */
  secrets_as_files: z.boolean().optional(),
  /** The app's databases, for `rampart db query` (read-only, audited): where the URL is kept. */
  databases: namedRecord(
    mapping(
      {
        kind: z.literal("postgres", { error: expected("postgres (the only kind so far)") }),
        url_secret: text("the name of the secret holding its URL, e.g. DATABASE_URL"),
      },
      "a mapping such as { kind: postgres, url_secret: DATABASE_URL }",
    ),
    "a mapping of database name: { kind, url_secret }",
  ).optional(),
};

export const appOverrideSchema = mapping(appSettingsShape, "a mapping of app settings, e.g. { instances: 1 }");

export const appSchema = mapping(
  {
    source: text("a directory, e.g. ./web"),
    ...appSettingsShape,
    run: text("a shell command, e.g. node server.js"),
    /** Gitignore-style patterns left out of every artifact, beside .gitignore and .rampartignore. */
    exclude: z.array(text("a gitignore-style pattern, e.g. dist/")).optional(),
    environments: namedRecord(appOverrideSchema, "a mapping of environment name: overrides").optional(),
    /** The app's own alert rules (src/alerts/alert-rules.schema.ts), evaluated in every environment. */
    alerts: alertRuleListSchema.optional(),
    /** Synthetic checks and heartbeats (src/checks/checks.schema.ts): the same in every environment. */
    checks: checksFileSchema.optional(),
    heartbeats: heartbeatsFileSchema.optional(),
    /** Intended differences between environments (src/parity/parity.schema.ts): listed by `rampart parity`, not counted. */
    parity: parityFileSchema.optional(),
    /** Who answers for the app and where its runbook is (readiness checks owner and runbook: src/readiness). */
    owner: ownerField.optional(),
    runbook: runbookField.optional(),
  },
  "a mapping with at least source and run",
);

export const environmentSchema = mapping(
  {
    port,
    bind: bindAddress.default(ENVIRONMENT_DEFAULTS.bind),
    protected: booleanField.default(ENVIRONMENT_DEFAULTS.protected),
    tls: mapping(
      { cert: text("a certificate file (PEM)"), key: text("a private key file (PEM)") },
      "a mapping such as { cert: ./tls/cert.pem, key: ./tls/key.pem }",
    ).optional(),
    pin_from: z.array(addressBlock, { error: expected("a list of IP addresses or blocks, e.g. [127.0.0.1, 10.0.0.0/8]") }).optional(),
    tracing: mapping({ sample: percent.optional(), slow: duration.optional() }, "a mapping such as { sample: 1%, slow: 1s }").optional(),
    /** The edge's access log (src/edge/access-log.ts): true, or { max_size: 64mb, keep: 5 }. */
    access_log: z
      .union([
        booleanField,
        mapping(
          { max_size: size.optional(), keep: wholeNumber(0, 1000).optional() },
          "true, or a mapping such as { max_size: 64mb, keep: 5 }",
        ),
      ])
      .optional(),
    limits: mapping(
      {
        header_timeout: positiveDuration.optional(),
        idle_timeout: positiveDuration.optional(),
        max_header_size: size.optional(),
      },
      "a mapping such as { header_timeout: 10s, idle_timeout: 60s, max_header_size: 16kb }",
    ).optional(),
    /** Which readiness checks the first deploy here requires (src/readiness/readiness.schema.ts). */
    readiness: readinessFileSchema.optional(),
    /** HTTP/2 to clients: over TLS by ALPN (default on), cleartext with prior knowledge (default off). */
    http2: mapping(
      { tls: booleanField.optional(), cleartext: booleanField.optional() },
      "a mapping such as { tls: true, cleartext: false }",
    ).optional(),
  },
  "a mapping such as { port: 8080 }",
);

function nonEmptyRecord<T extends z.ZodType>(value: T, what: string, example: string) {
  return namedRecord(value, `a mapping of ${what}s, e.g. ${example}`).refine((record) => Object.keys(record).length > 0, {
    error: `declare at least one ${what}, e.g. ${example}`,
  });
}

export const manifestFileSchema = mapping(
  {
    name: projectName,
    environments: nonEmptyRecord(environmentSchema, "environment", "production: { port: 8080 }"),
    apps: nonEmptyRecord(appSchema, "app", "web: { source: ./web, run: node server.js }"),
    access: accessFileSchema.optional(),
    api: apiFileSchema.optional(),
    /** Alerting: rules and defaults (src/alerts/alert-rules.schema.ts), receivers and routes. */
    alerts: alertsFileSchema.optional(),
    /** On-call: people's channels, schedules, escalation policies (src/oncall/oncall.schema.ts). */
    oncall: oncallFileSchema.optional(),
    /** Scheduled backups and their retention (src/backup/backup.schema.ts). */
    backups: backupsFileSchema.optional(),
    /** Intended differences that belong to no app (flags, environment limits): src/parity/parity.schema.ts. */
    parity: parityFileSchema.optional(),
    /** Rollback drills on a schedule (src/rollback-drills/rollback-drill.schema.ts). */
    drills: drillsFileSchema.optional(),
  },
  "a mapping with name, environments and apps",
);

export type HealthFile = z.output<typeof healthSchema>;
export type ReleaseFile = z.output<typeof releaseSchema>;
export type AppSettingsFile = z.output<typeof appOverrideSchema>;
export type AppFile = z.output<typeof appSchema>;
export type EnvironmentFile = z.output<typeof environmentSchema>;
export type ManifestFile = z.output<typeof manifestFileSchema>;
