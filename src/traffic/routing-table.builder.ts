import type { EnvironmentConfig, ResolvedApp } from "../config/resolved-manifest.schema.ts";
import type { InstanceRecord } from "../runtime/instance.types.ts";
import { join } from "node:path";
import type { EdgeApp, EdgeAuth, EdgeEnvironment, EdgeRelease, RoutingTable } from "../edge/routing-table.types.ts";
import type { TrafficState } from "./traffic.types.ts";

export interface AppRouting {
  env: string;
  app: string;
  routes: string[];
  hosts: string[] | null;
  timeoutMs: number;
  drainMs: number;
  limits: ResolvedApp["limits"];
  sticky: ResolvedApp["sticky"];
  /** Forward client headers named with an underscore (manifest `headers: { underscores: allow }`). */
  underscoresInHeaders?: boolean;
  /** Authentication at the edge (manifest `auth:`), with the app's API key hashes when it takes API keys. */
  auth?: ResolvedApp["auth"];
  apiKeys?: EdgeAuth["apiKeys"];
  /** Real-user monitoring (manifest `rum: true`). */
  rum?: boolean;
}

/**
 * The edge's table from the platform's state: every environment of the manifest gets a listener; an app's
 * traffic goes to its routable (per the traffic state), healthy instances, each release weighted by its number
 * of such instances (so during a rolling deploy every serving instance gets an equal share) unless the traffic
 * state sets release weights (a canary split).
 */
export function buildRoutingTable(input: {
  version: number;
  environments: Record<string, EnvironmentConfig>;
  apps: AppRouting[];
  instances: InstanceRecord[];
  traffic: TrafficState[];
  /** Marks the control plane's synthetic checks, which the edge then leaves out of the apps' measurements. */
  probeToken?: string;
  /** Where the environments' access logs go (one directory each), when they keep one. */
  accessLogRoot?: string;
}): RoutingTable {
  const environments: EdgeEnvironment[] = Object.entries(input.environments).map(([name, config]) => {
    const apps = input.apps.filter((a) => a.env === name);
    return {
      name,
      bind: config.bind,
      port: config.port,
      routes: apps.flatMap((a) => a.routes.map((prefix) => ({ app: a.app, hosts: a.hosts, prefix }))),
      tls: config.tls,
      pinSources: config.pinFrom,
      tracing: config.tracing,
      limits: config.limits,
      // Absent unless the control plane runs checks, so tables without one look as they always did.
      ...(input.probeToken === undefined ? {} : { probeToken: input.probeToken }),
      // Absent unless kept (the edge reads absent as none), so tables without one look as they always did.
      ...(config.accessLog === undefined || input.accessLogRoot === undefined
        ? {}
        : { accessLog: { dir: join(input.accessLogRoot, name), maxBytes: config.accessLog.maxBytes, keep: config.accessLog.keep } }),
      http2: config.http2,
      apps: apps.map((a) =>
        edgeApp(
          a,
          input.instances,
          input.traffic.find((t) => t.env === name && t.app === a.app),
        ),
      ),
    };
  });
  return { version: input.version, environments };
}

function edgeApp(app: AppRouting, instances: InstanceRecord[], traffic: TrafficState | undefined): EdgeApp {
  const routable = new Set(traffic?.routable ?? []);
  const weights = traffic?.weights ?? null;
  const byRelease = new Map<number, EdgeRelease>();
  const standby = new Map<number, EdgeRelease>();
  for (const instance of instances) {
    if (instance.env !== app.env || instance.app !== app.app || instance.status !== "healthy") continue;
    const inRotation = routable.has(instance.id);
    const into = inRotation ? byRelease : standby;
    const release = into.get(instance.release) ?? { release: instance.release, weight: 0, instances: [] };
    release.instances.push({ id: instance.id, host: "127.0.0.1", port: instance.port });
    if (inRotation) release.weight = weights?.[instance.release] ?? release.instances.length;
    into.set(instance.release, release);
  }
  // A release whose healthy instances are all out of rotation (kept warm, settling after a rollout, not shifted in
  // yet) is in the table at weight 0: no share of traffic, but a retry target when the serving release fails and
  // a target for X-Rampart-Release. A release partly in rotation never mixes in its other instances.
  for (const [number, release] of standby) if (!byRelease.has(number)) byRelease.set(number, release);
  const { ratePerSecond, burst, bodyBytes } = app.limits;
  return {
    name: app.app,
    upstreamTimeoutMs: app.timeoutMs,
    releases: [...byRelease.values()].sort((a, b) => a.release - b.release),
    drainMs: app.drainMs,
    maxBodyBytes: bodyBytes,
    rateLimit: ratePerSecond === null ? null : { perSecond: ratePerSecond, burst: burst ?? Math.max(1, Math.ceil(ratePerSecond)) },
    sticky: app.sticky,
    underscoresInHeaders: app.underscoresInHeaders === true,
    rum: app.rum === true,
    split: weights !== null,
    ...(app.auth === null || app.auth === undefined
      ? {}
      : { auth: { public: app.auth.public, jwt: app.auth.jwt, apiKeys: app.auth.apiKeys ? (app.apiKeys ?? []) : null } }),
  };
}
