import type { Manifest, ResolvedApp } from "../config/resolved-manifest.schema.ts";
import { environmentUrl } from "../platform/environment-url.ts";
import { type BrowserStep, describeStep } from "./browser-probe.ts";
import type { Condition } from "./check-condition.ts";
import { DEFAULT_CHECK, type HeartbeatConfig, type HttpCheckConfig, parsedDefault } from "./checks.schema.ts";

/** One HTTP check of one app in one environment, ready to probe. */
export interface HttpCheckTarget extends Omit<HttpCheckConfig, "target"> {
  key: string;
  env: string;
  app: string;
  origin: "default" | "custom";
  url: string;
  verifyTls: boolean;
  /** A browser check: its steps, run in Chromium with `goto` paths resolved against the edge (`url`). */
  browser: BrowserStep[] | null;
  /** What `rampart checks` shows as the target. */
  description: string;
  /** Through Rampart's own edge (marked as a probe, left out of the app's measurements); false for a `url` check. */
  throughEdge: boolean;
}

export interface HeartbeatTarget extends HeartbeatConfig {
  key: string;
  env: string;
  app: string;
}

export function checkKey(env: string, app: string, name: string): string {
  return `${env}/${app}/${name}`;
}

// The health path must answer 200; a route prefix only has to be served (an app's own 404 for "/api" is fine, the
// edge's 502/503/504 are not).
const HEALTH_CONDITIONS = [parsedDefault("status == 200")];
const ROUTE_CONDITIONS = [parsedDefault("status < 500")];

/** Every HTTP check the manifest asks for in `env`, for the apps `serving` says have instances there. */
export function httpTargets(manifest: Manifest, serving: (env: string, app: string) => boolean): HttpCheckTarget[] {
  const targets: HttpCheckTarget[] = [];
  for (const [env, envConfig] of Object.entries(manifest.environments)) {
    const base = environmentUrl(envConfig);
    for (const [app, entry] of Object.entries(manifest.apps)) {
      const resolved = entry.perEnv[env];
      if (resolved === undefined || !serving(env, app)) continue;
      const checks = manifest.checks?.[app] ?? { defaults: true, http: [], heartbeats: [] };
      const hostHeader = hostOf(resolved);
      const edge = (name: string, origin: "default" | "custom", path: string) => ({
        key: checkKey(env, app, name),
        env,
        app,
        name,
        origin,
        url: `${base}${path}`,
        verifyTls: false,
        browser: null,
        description: `${base}${path}`,
        throughEdge: true,
      });
      if (checks.defaults) {
        for (const { name, path, conditions } of defaultChecks(resolved)) {
          targets.push({
            ...edge(name, "default", path),
            method: "GET",
            headers: hostHeader,
            body: null,
            intervalMs: DEFAULT_CHECK.intervalMs,
            timeoutMs: DEFAULT_CHECK.timeoutMs,
            conditions,
            failureThreshold: DEFAULT_CHECK.failureThreshold,
            successThreshold: DEFAULT_CHECK.successThreshold,
          });
        }
      }
      for (const check of checks.http) {
        const { target } = check;
        if (target.kind === "path") {
          targets.push({ ...check, ...edge(check.name, "custom", target.path), headers: { ...hostHeader, ...check.headers } });
        } else if (target.kind === "url") {
          targets.push({
            ...check,
            ...edge(check.name, "custom", ""),
            url: target.url,
            description: target.url,
            verifyTls: true,
            throughEdge: false,
          });
        } else {
          const description = `browser ${base}: ${target.steps.map(describeStep).join(", ")}`;
          targets.push({ ...check, ...edge(check.name, "custom", "/"), browser: target.steps, description });
        }
      }
    }
  }
  return targets;
}

export function heartbeatTargets(manifest: Manifest): HeartbeatTarget[] {
  const targets: HeartbeatTarget[] = [];
  for (const env of Object.keys(manifest.environments)) {
    for (const app of Object.keys(manifest.apps)) {
      for (const heartbeat of manifest.checks?.[app]?.heartbeats ?? [])
        targets.push({ ...heartbeat, key: checkKey(env, app, heartbeat.name), env, app });
    }
  }
  return targets;
}

/** The health path (when a route of the app reaches it through the edge) and each declared route prefix. */
function defaultChecks(app: ResolvedApp): { name: string; path: string; conditions: Condition[] }[] {
  const checks: { name: string; path: string; conditions: Condition[] }[] = [];
  const reachable = app.routes.some(
    (prefix) => app.health.path === prefix || app.health.path.startsWith(prefix.endsWith("/") ? prefix : `${prefix}/`),
  );
  if (reachable) checks.push({ name: "health", path: app.health.path, conditions: HEALTH_CONDITIONS });
  for (const prefix of app.routes) {
    if (prefix === app.health.path) continue;
    const slug =
      prefix
        .replace(/[^a-z0-9]+/gi, "-")
        .replace(/^-|-$/g, "")
        .toLowerCase() || "root";
    checks.push({ name: `route-${slug}`, path: prefix, conditions: ROUTE_CONDITIONS });
  }
  return checks;
}

/** An app served on named hosts only is reached with one of them in Host (a wildcard's stand-in for `*`). */
function hostOf(app: ResolvedApp): Record<string, string> {
  const host = app.hosts?.[0];
  if (host === undefined) return {};
  return { host: host.startsWith("*.") ? `rampart-check${host.slice(1)}` : host };
}
