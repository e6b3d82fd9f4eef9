import { resolve as resolvePath } from "node:path";
import { resolveAccessPolicy } from "../access/access-policy.schema.ts";
import { resolveApiSettings } from "./api.schema.ts";
import { resolveBackupSettings } from "../backup/backup.schema.ts";
import { resolveOidcSettings } from "../access/oidc.schema.ts";
import { type AppChecks, resolveAppChecks } from "../checks/checks.schema.ts";
import { resolveReadiness } from "../readiness/readiness.schema.ts";
import { ACCESS_LOG_DEFAULTS, APP_DEFAULTS, ENVIRONMENT_DEFAULTS, METRICS_SCRAPE_DEFAULTS } from "./manifest.defaults.ts";
import type { AppFile, AppSettingsFile, ManifestFile } from "./manifest.schema.ts";
import { resolveDrillSchedule } from "../rollback-drills/rollback-drill.schema.ts";
import type { EnvironmentConfig, LatencyGuard, Manifest, ManifestApp, ResolvedApp } from "./resolved-manifest.schema.ts";

/**
 * Turns the validated file into the resolved manifest: per environment, the app's overrides are
 * merged over its base (objects deep, arrays and scalars replaced), then defaults fill the rest.
 */

/** Keys `over` does not set keep `base` (zod leaves unset optional keys absent, YAML has no undefined). */
function overlay<T extends object>(base: T | undefined, over: T | undefined): T | undefined {
  if (over === undefined) return base;
  if (base === undefined) return over;
  return { ...base, ...over };
}

export function mergeSettings(base: AppSettingsFile, over: AppSettingsFile | undefined): AppSettingsFile {
  if (over === undefined) return base;
  const release = overlay(base.release, over.release);
  const guards = overlay(base.release?.guards, over.release?.guards);
  return {
    ...overlay(base, over),
    health: overlay(base.health, over.health),
    env: overlay(base.env, over.env),
    limits: overlay(base.limits, over.limits),
    headers: overlay(base.headers, over.headers),
    metrics: overlay(base.metrics, over.metrics),
    auth: overlay(base.auth, over.auth),
    release: release === undefined ? undefined : { ...release, guards },
  };
}

function withDefaults(name: string, source: string, exclude: readonly string[], settings: AppSettingsFile & { run: string }): ResolvedApp {
  const d = APP_DEFAULTS;
  const health = settings.health ?? {};
  const release = settings.release ?? {};
  const guards = release.guards ?? {};
  return {
    name,
    source,
    exclude: [...exclude],
    build: settings.build ?? d.build,
    run: settings.run,
    instances: settings.instances ?? d.instances,
    routes: [...(settings.routes ?? d.routes)],
    hosts: settings.hosts ? [...settings.hosts] : d.hosts,
    health: {
      path: health.path ?? d.health.path,
      intervalMs: health.interval ?? d.health.intervalMs,
      timeoutMs: health.timeout ?? d.health.timeoutMs,
      startTimeoutMs: health.start_timeout ?? d.health.startTimeoutMs,
      unhealthyThreshold: health.unhealthy_threshold ?? d.health.unhealthyThreshold,
    },
    drainMs: settings.drain ?? d.drainMs,
    timeoutMs: settings.timeout ?? d.timeoutMs,
    env: { ...settings.env },
    limits: {
      bodyBytes: settings.limits?.body ?? d.limits.bodyBytes,
      ratePerSecond: settings.limits?.rate ?? d.limits.ratePerSecond,
      // A burst defaults to one second's worth of the rate, at least one request.
      burst: settings.limits?.burst ?? (settings.limits?.rate === undefined ? null : Math.max(1, Math.ceil(settings.limits.rate))),
    },
    sticky: settings.sticky?.cookie
      ? { kind: "cookie", name: settings.sticky.cookie }
      : settings.sticky?.header
        ? { kind: "header", name: settings.sticky.header.toLowerCase() }
        : null,
    headers: { underscores: settings.headers?.underscores ?? d.headers.underscores },
    metrics: settings.metrics
      ? {
          path: settings.metrics.path ?? METRICS_SCRAPE_DEFAULTS.path,
          intervalMs: settings.metrics.interval ?? METRICS_SCRAPE_DEFAULTS.intervalMs,
        }
      : d.metrics,
    ...(settings.rum === true && { rum: true }),
    secrets: [...(settings.secrets ?? d.secrets)],
    secretFiles: settings.secrets_as_files ?? d.secretFiles,
    ...(settings.databases && {
      databases: Object.fromEntries(
        Object.entries(settings.databases).map(([name, db]) => [name, { kind: db.kind, urlSecret: db.url_secret }]),
      ),
    }),
    release: {
      strategy: release.strategy ?? d.release.strategy,
      steps: [...(release.steps ?? d.release.steps)],
      pauseMs: release.pause ?? d.release.pauseMs,
      keepWarmMs: release.keep_warm ?? d.release.keepWarmMs,
      settleMs: release.settle ?? d.release.settleMs,
      holdTimeoutMs: release.hold_timeout ?? d.release.holdTimeoutMs,
      guards: {
        errorRate: guards.error_rate ?? null,
        p99Latency: guards.p99_latency ?? null,
        p50Latency: guards.p50_latency ?? null,
        ...rumGuards(guards),
      },
    },
  };
}

function resolveManifestApp(name: string, app: AppFile, environments: string[], dir: string): ManifestApp {
  const {
    source,
    exclude = [],
    environments: overrides,
    alerts,
    checks: _checks,
    heartbeats: _heartbeats,
    parity,
    owner: _owner,
    runbook: _runbook,
    ...settings
  } = app;
  const sourceDir = resolvePath(dir, source);
  const perEnv: Record<string, ResolvedApp> = {};
  for (const env of environments) {
    const merged = mergeSettings(settings, overrides?.[env]);
    perEnv[env] = withAuth(withDefaults(name, sourceDir, exclude, { ...merged, run: merged.run ?? settings.run }), merged.auth, dir);
  }
  return {
    base: withAuth(withDefaults(name, sourceDir, exclude, settings), settings.auth, dir),
    perEnv,
    ...(alerts ? { alerts } : {}),
    ...(parity ? { parity: { allow: [...parity.allow] } } : {}),
  };
}

/** `auth:` resolved: a JWKS file relative to rampart.yaml becomes absolute (the edge reads it), a URL stays. */
function withAuth(app: ResolvedApp, auth: AppSettingsFile["auth"], dir: string): ResolvedApp {
  if (auth === undefined) return app;
  const jwt = auth.jwt;
  return {
    ...app,
    auth: {
      jwt:
        jwt === undefined
          ? null
          : {
              jwks: /^https?:\/\//.test(jwt.jwks) ? jwt.jwks : resolvePath(dir, jwt.jwks),
              issuer: jwt.issuer,
              audience: jwt.audience,
              requiredClaims: [...(jwt.required_claims ?? [])],
            },
      apiKeys: auth.api_keys === true,
      public: [...(auth.public ?? [])],
    },
  };
}

export function buildManifest(file: ManifestFile, path: string, dir: string): Manifest {
  const environments = Object.keys(file.environments);
  const apps: Record<string, ManifestApp> = {};
  for (const [name, app] of Object.entries(file.apps)) apps[name] = resolveManifestApp(name, app, environments, dir);
  const resolvedEnvironments: Record<string, EnvironmentConfig> = {};
  for (const [name, env] of Object.entries(file.environments)) {
    const e = ENVIRONMENT_DEFAULTS;
    resolvedEnvironments[name] = {
      port: env.port,
      bind: env.bind,
      protected: env.protected,
      tls: env.tls ? { certFile: resolvePath(dir, env.tls.cert), keyFile: resolvePath(dir, env.tls.key) } : null,
      pinFrom: env.pin_from ?? [...e.pinFrom],
      tracing: { sampleRate: env.tracing?.sample ?? e.tracing.sampleRate, slowMs: env.tracing?.slow ?? e.tracing.slowMs },
      ...(env.access_log !== undefined && env.access_log !== false
        ? {
            accessLog: {
              maxBytes: (env.access_log === true ? undefined : env.access_log.max_size) ?? ACCESS_LOG_DEFAULTS.maxBytes,
              keep: (env.access_log === true ? undefined : env.access_log.keep) ?? ACCESS_LOG_DEFAULTS.keep,
            },
          }
        : {}),
      limits: {
        headerTimeoutMs: env.limits?.header_timeout ?? e.limits.headerTimeoutMs,
        idleTimeoutMs: env.limits?.idle_timeout ?? e.limits.idleTimeoutMs,
        maxHeaderBytes: env.limits?.max_header_size ?? e.limits.maxHeaderBytes,
      },
      http2: { tls: env.http2?.tls ?? e.http2.tls, cleartext: env.http2?.cleartext ?? e.http2.cleartext },
    };
  }
  const api = resolveApiSettings(file.api, (p) => resolvePath(dir, p));
  const checks: Record<string, AppChecks> = {};
  for (const [name, app] of Object.entries(file.apps)) checks[name] = resolveAppChecks(app.checks, app.heartbeats);
  return {
    name: file.name,
    path,
    dir,
    environments: resolvedEnvironments,
    apps,
    access: resolveAccessPolicy(file.access),
    api,
    oidc: resolveOidcSettings(file.access?.oidc),
    ...(file.alerts ? { alerts: file.alerts } : {}),
    checks,
    ...(file.oncall ? { oncall: file.oncall } : {}),
    ...(file.backups ? { backups: resolveBackupSettings(file.backups, (p) => resolvePath(dir, p)) } : {}),
    ...(file.parity ? { parity: { allow: [...file.parity.allow] } } : {}),
    readiness: resolveReadiness(file),
    ...(file.drills?.rollback ? { drills: resolveDrillSchedule(file.drills) } : {}),
  };
}

/** The effective config of `app` in `env`. Throws when either is not in the manifest. */
export function resolveApp(manifest: Manifest, app: string, env: string): ResolvedApp {
  const entry = manifest.apps[app];
  if (entry === undefined) {
    throw new Error(`app "${app}" is not in ${manifest.path}; apps: ${appNames(manifest).join(", ")}`);
  }
  const resolved = entry.perEnv[env];
  if (resolved === undefined) {
    throw new Error(`environment "${env}" is not in ${manifest.path}; environments: ${environmentNames(manifest).join(", ")}`);
  }
  return resolved;
}

/** In the order the manifest declares them. */
export function appNames(manifest: Manifest): string[] {
  return Object.keys(manifest.apps);
}

export function environmentNames(manifest: Manifest): string[] {
  return Object.keys(manifest.environments);
}

/** The web-vital guards the manifest sets (lcp_p75 → lcp), only when it sets any, so older snapshots compare equal. */
function rumGuards(guards: Partial<Record<"lcp_p75" | "inp_p75" | "cls_p75" | "fcp_p75" | "ttfb_p75", LatencyGuard>>): {
  rum?: Record<string, LatencyGuard>;
} {
  const rum: Record<string, LatencyGuard> = {};
  for (const vital of ["lcp", "inp", "cls", "fcp", "ttfb"] as const) {
    const guard = guards[`${vital}_p75`];
    if (guard !== undefined) rum[vital] = guard;
  }
  return Object.keys(rum).length > 0 ? { rum } : {};
}
