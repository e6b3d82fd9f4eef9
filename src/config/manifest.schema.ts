import { z } from "zod";
import { ENVIRONMENT_DEFAULTS, MAX_INSTANCES } from "./manifest.defaults.ts";
import {
  bindAddress,
  booleanField,
  canarySteps,
  duration,
  envVars,
  expected,
  hosts,
  latencyGuard,
  namedRecord,
  pathPrefix,
  errorRateGuard,
  port,
  positiveDuration,
  projectName,
  routes,
  strategy,
  text,
  wholeNumber,
} from "./fields.schema.ts";

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
  },
  "a mapping such as { error_rate: 1%, p99_latency: 1.5x } (error_rate may be relative too: 2x)",
);

const releaseSchema = mapping(
  {
    strategy: strategy.optional(),
    steps: canarySteps.optional(),
    pause: duration.optional(),
    keep_warm: duration.optional(),
    guards: guardsSchema.optional(),
  },
  "a mapping such as { strategy: canary }",
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
};

export const appOverrideSchema = mapping(appSettingsShape, "a mapping of app settings, e.g. { instances: 1 }");

export const appSchema = mapping(
  {
    source: text("a directory, e.g. ./web"),
    ...appSettingsShape,
    run: text("a shell command, e.g. node server.js"),
    environments: namedRecord(appOverrideSchema, "a mapping of environment name: overrides").optional(),
  },
  "a mapping with at least source and run",
);

export const environmentSchema = mapping(
  {
    port,
    bind: bindAddress.default(ENVIRONMENT_DEFAULTS.bind),
    protected: booleanField.default(ENVIRONMENT_DEFAULTS.protected),
  },
  "a mapping such as { port: 8080 }",
);

function nonEmptyRecord<T extends z.ZodType>(value: T, what: string, example: string) {
  return namedRecord(value, `a mapping of ${what}s, e.g. ${example}`)
    .refine((record) => Object.keys(record).length > 0, { error: `declare at least one ${what}, e.g. ${example}` });
}

export const manifestFileSchema = mapping(
  {
    name: projectName,
    environments: nonEmptyRecord(environmentSchema, "environment", "production: { port: 8080 }"),
    apps: nonEmptyRecord(appSchema, "app", "web: { source: ./web, run: node server.js }"),
  },
  "a mapping with name, environments and apps",
);

export type HealthFile = z.output<typeof healthSchema>;
export type ReleaseFile = z.output<typeof releaseSchema>;
export type AppSettingsFile = z.output<typeof appOverrideSchema>;
export type AppFile = z.output<typeof appSchema>;
export type EnvironmentFile = z.output<typeof environmentSchema>;
export type ManifestFile = z.output<typeof manifestFileSchema>;
