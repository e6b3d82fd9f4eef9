import { PinSources } from "./release-pin.ts";
import { SeriesSlots, type SeriesSlot } from "./request-stats.ts";
import type { EdgeApp, EdgeEnvironment, RoutingTable } from "./routing-table.types.ts";

/**
 * The routing table turned into the shape the hot path wants: routes pre-sorted by precedence, hosts
 * lower-cased into Sets, apps resolved by reference, origins pre-formatted. A compiled table is
 * immutable except for the balancing cursors, which live with it on purpose: a new table starts fresh.
 * Every place a request can end up carries its measurement slot, so the hot path never builds a key.
 */
export interface CompiledInstance {
  readonly id: string;
  readonly release: number;
  /** "http://host:port", the key of the connection pool. */
  readonly origin: string;
  /** For the edge's own client: the host as net.connect takes it (no IPv6 brackets). */
  readonly host: string;
  readonly port: number;
  /** Measurement slot per route of the app (indexed by CompiledRoute.index): requests are counted per route too. */
  readonly series: readonly SeriesSlot[];
}

export interface CompiledRelease {
  readonly release: number;
  readonly weight: number;
  readonly instances: readonly CompiledInstance[];
  /** Round-robin cursor that breaks ties between equally loaded instances. */
  cursor: number;
}

export interface CompiledApp {
  readonly name: string;
  readonly upstreamTimeoutMs: number;
  /** Releases that can take new traffic: weight > 0 and at least one instance. */
  readonly weighted: readonly CompiledRelease[];
  /** Smooth weighted round-robin state, one slot per `weighted` entry. */
  readonly current: number[];
  /** Every release with instances, weight 0 included: retry candidates and pin targets. */
  readonly all: readonly CompiledRelease[];
  /** Where requests the edge answers itself for this app (503) are counted, per route: release 0, instance "". */
  readonly unserved: readonly SeriesSlot[];
  /** A canary split is in force: each client stays on one side (sticky-split.ts) instead of per-request rotation. */
  readonly split: boolean;
  /** `weighted`, newest release first: the canary owns the start of the sticky range. */
  readonly newestFirst: readonly CompiledRelease[];
  readonly totalWeight: number;
  /** What keeps a client on one side: the edge's own cookie when null. */
  readonly sticky: NonNullable<EdgeApp["sticky"]> | null;
  /** Client headers named with an underscore are forwarded (`headers: { underscores: allow }`); dropped otherwise. */
  readonly underscoresInHeaders: boolean;
  /** HTML pages get the RUM tag (rum-inject.ts). */
  readonly rum: boolean;
}

export interface CompiledRoute {
  readonly app: CompiledApp;
  /** Lower-cased, or null for "any host". */
  readonly hosts: ReadonlySet<string> | null;
  readonly prefix: string;
  readonly prefixEndsWithSlash: boolean;
  /** This route's position among its app's routes: the index of its measurement slots. */
  readonly index: number;
}

export interface CompiledEnvironment {
  readonly name: string;
  readonly bind: string;
  readonly port: number;
  /** Longest prefix first; at equal length, host-specific before host-less. First match wins. */
  readonly routes: readonly CompiledRoute[];
  /** Where requests without a route (404) are counted: app "", release 0, instance "". */
  readonly unrouted: SeriesSlot;
  /** Clients allowed to pin a request to a release with X-Rampart-Release. */
  readonly pinSources: PinSources;
  /** Tracing: share of new traces sampled, and the duration from which every request gets a span. */
  readonly traceSampleRate: number;
  /** X-Rampart-Probe's expected value (routing-table.types.ts), as bytes for a constant-time comparison. */
  readonly probeToken: Buffer | null;
  readonly traceSlowMs: number;
  /** Served over TLS (the sticky cookie gets Secure, X-Forwarded-Proto says https). */
  readonly secure: boolean;
  /** Some app has `rum: true`: the edge answers /_rampart/rum.js and /_rampart/rum itself (rum-beacon.ts). */
  readonly rum: boolean;
}

export interface CompiledTable {
  readonly version: number;
  readonly environments: readonly CompiledEnvironment[];
  /** Every instance id in the table: the ones whose pools must stay open. */
  readonly instanceIds: ReadonlySet<string>;
}

export const DEFAULT_TRACE_SAMPLE_RATE = 0.01;
export const DEFAULT_TRACE_SLOW_MS = 1_000;

export const EMPTY_TABLE: CompiledTable = { version: 0, environments: [], instanceIds: new Set() };

/** `slots` carries the measurement slots over from the previous table (same key, same slot). */
export function compileTable(table: RoutingTable, slots: SeriesSlots = new SeriesSlots()): CompiledTable {
  const instanceIds = new Set<string>();
  const environments = table.environments.map((env) => compileEnvironment(env, instanceIds, slots));
  slots.commit();
  return { version: table.version, environments, instanceIds };
}

function compileEnvironment(env: EdgeEnvironment, instanceIds: Set<string>, slots: SeriesSlots): CompiledEnvironment {
  // An app's routes first: its instances get one measurement slot per route.
  const routesOf = new Map<string, string[]>();
  for (const route of env.routes) routesOf.set(route.app, [...(routesOf.get(route.app) ?? []), route.prefix]);
  const apps = new Map<string, CompiledApp>();
  for (const app of env.apps) {
    const prefixes = routesOf.get(app.name) ?? [];
    const all: CompiledRelease[] = [];
    for (const r of app.releases) {
      if (r.instances.length === 0) continue;
      const instances = r.instances.map((i) => {
        instanceIds.add(i.id);
        const host = i.host.startsWith("[") && i.host.endsWith("]") ? i.host.slice(1, -1) : i.host;
        const series = prefixes.map((prefix) => slots.get(env.name, app.name, prefix, r.release, i.id));
        return { id: i.id, release: r.release, origin: formatOrigin(i.host, i.port), host, port: i.port, series };
      });
      all.push({ release: r.release, weight: r.weight, instances, cursor: 0 });
    }
    const weighted = all.filter((r) => r.weight > 0);
    apps.set(app.name, {
      name: app.name,
      upstreamTimeoutMs: app.upstreamTimeoutMs,
      weighted,
      current: weighted.map(() => 0),
      all,
      unserved: prefixes.map((prefix) => slots.get(env.name, app.name, prefix, 0, "")),
      split: app.split === true && weighted.length > 1,
      newestFirst: [...weighted].sort((a, b) => b.release - a.release),
      totalWeight: weighted.reduce((sum, r) => sum + r.weight, 0),
      sticky: app.sticky ?? null,
      underscoresInHeaders: app.underscoresInHeaders === true,
      rum: app.rum === true,
    });
  }
  const routes: CompiledRoute[] = [];
  const seen = new Map<string, number>();
  for (const route of env.routes) {
    const app = apps.get(route.app);
    // The schema rejects unknown apps; this keeps the type honest without a non-null assertion.
    if (app === undefined) continue;
    const index = seen.get(route.app) ?? 0;
    seen.set(route.app, index + 1);
    routes.push({
      app,
      hosts: route.hosts === null ? null : new Set(route.hosts.map(normalizeHost)),
      prefix: route.prefix,
      prefixEndsWithSlash: route.prefix.endsWith("/"),
      index,
    });
  }
  routes.sort((a, b) => b.prefix.length - a.prefix.length || hostRank(a) - hostRank(b));
  return {
    name: env.name,
    bind: env.bind,
    port: env.port,
    routes,
    unrouted: slots.get(env.name, "", "", 0, ""),
    pinSources: new PinSources(env.pinSources ?? []),
    traceSampleRate: env.tracing?.sampleRate ?? DEFAULT_TRACE_SAMPLE_RATE,
    probeToken: env.probeToken ? Buffer.from(env.probeToken) : null,
    traceSlowMs: env.tracing?.slowMs ?? DEFAULT_TRACE_SLOW_MS,
    secure: env.tls !== undefined && env.tls !== null,
    rum: env.apps.some((app) => app.rum === true),
  };
}

function hostRank(route: CompiledRoute): number {
  return route.hosts === null ? 1 : 0;
}

/** Lower-case, drop a trailing dot, so "Shop.Example.com." matches "shop.example.com". */
export function normalizeHost(host: string): string {
  const lower = host.toLowerCase();
  return lower.endsWith(".") ? lower.slice(0, -1) : lower;
}

function formatOrigin(host: string, port: number): string {
  return host.includes(":") && !host.startsWith("[") ? `http://[${host}]:${port}` : `http://${host}:${port}`;
}
