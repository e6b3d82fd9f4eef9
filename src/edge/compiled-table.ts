import { SeriesSlots, type SeriesSlot } from "./request-stats.ts";
import type { EdgeEnvironment, RoutingTable } from "./routing-table.types.ts";

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
  readonly series: SeriesSlot;
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
  /** Every release with instances, weight 0 included: retry candidates. */
  readonly all: readonly CompiledRelease[];
  /** Where requests the edge answers itself for this app (503) are counted: release 0, instance "". */
  readonly unserved: SeriesSlot;
}

export interface CompiledRoute {
  readonly app: CompiledApp;
  /** Lower-cased, or null for "any host". */
  readonly hosts: ReadonlySet<string> | null;
  readonly prefix: string;
  readonly prefixEndsWithSlash: boolean;
}

export interface CompiledEnvironment {
  readonly name: string;
  readonly bind: string;
  readonly port: number;
  /** Longest prefix first; at equal length, host-specific before host-less. First match wins. */
  readonly routes: readonly CompiledRoute[];
  /** Where requests without a route (404) are counted: app "", release 0, instance "". */
  readonly unrouted: SeriesSlot;
}

export interface CompiledTable {
  readonly version: number;
  readonly environments: readonly CompiledEnvironment[];
  /** Every instance id in the table: the ones whose pools must stay open. */
  readonly instanceIds: ReadonlySet<string>;
}

export const EMPTY_TABLE: CompiledTable = { version: 0, environments: [], instanceIds: new Set() };

/** `slots` carries the measurement slots over from the previous table (same key, same slot). */
export function compileTable(table: RoutingTable, slots: SeriesSlots = new SeriesSlots()): CompiledTable {
  const instanceIds = new Set<string>();
  const environments = table.environments.map((env) => compileEnvironment(env, instanceIds, slots));
  slots.commit();
  return { version: table.version, environments, instanceIds };
}

function compileEnvironment(env: EdgeEnvironment, instanceIds: Set<string>, slots: SeriesSlots): CompiledEnvironment {
  const apps = new Map<string, CompiledApp>();
  for (const app of env.apps) {
    const all: CompiledRelease[] = [];
    for (const r of app.releases) {
      if (r.instances.length === 0) continue;
      const instances = r.instances.map((i) => {
        instanceIds.add(i.id);
        const host = i.host.startsWith("[") && i.host.endsWith("]") ? i.host.slice(1, -1) : i.host;
        return { id: i.id, release: r.release, origin: formatOrigin(i.host, i.port), host, port: i.port, series: slots.get(env.name, app.name, r.release, i.id) };
      });
      all.push({ release: r.release, weight: r.weight, instances, cursor: 0 });
    }
    const weighted = all.filter((r) => r.weight > 0);
    const unserved = slots.get(env.name, app.name, 0, "");
    apps.set(app.name, { name: app.name, upstreamTimeoutMs: app.upstreamTimeoutMs, weighted, current: weighted.map(() => 0), all, unserved });
  }
  const routes: CompiledRoute[] = [];
  for (const route of env.routes) {
    const app = apps.get(route.app);
    // The schema rejects unknown apps; this keeps the type honest without a non-null assertion.
    if (app === undefined) continue;
    routes.push({
      app,
      hosts: route.hosts === null ? null : new Set(route.hosts.map(normalizeHost)),
      prefix: route.prefix,
      prefixEndsWithSlash: route.prefix.endsWith("/"),
    });
  }
  routes.sort((a, b) => b.prefix.length - a.prefix.length || hostRank(a) - hostRank(b));
  return { name: env.name, bind: env.bind, port: env.port, routes, unrouted: slots.get(env.name, "", 0, "") };
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
