import type { ManifestSource } from "../config/manifest-source.ts";
import type { RoutingTable } from "../edge/routing-table.types.ts";
import type { ReleaseStore } from "../releases/release.store.ts";
import type { InstanceRecord } from "../runtime/instance.types.ts";
import { buildRoutingTable, type AppRouting } from "./routing-table.builder.ts";
import type { TrafficState } from "./traffic.types.ts";

export interface TableSourceDeps {
  manifests: Pick<ManifestSource, "current" | "resolve">;
  releases: Pick<ReleaseStore, "get" | "findByStatus">;
  instances(): InstanceRecord[];
  traffic(): TrafficState[];
  probeToken?: string;
  /** The app's API keys that are not revoked, hashed (src/gateway): the edge gets nothing else of them. */
  apiKeys?(env: string, app: string): Promise<{ id: string; sha256: string }[]>;
  /** The root of the environments' access-log directories (DATA/logs/edge-access). */
  accessLogRoot?: string;
}

/**
 * The routing table from the platform's state: the manifest's environments and apps, each app's routes from the
 * newest release taking traffic (so a deploy that changes routes moves them with it), the instances, and the
 * traffic state (which instances are in rotation, the release weights).
 */
export async function currentTable(deps: TableSourceDeps, version: number): Promise<RoutingTable> {
  const manifest = deps.manifests.current;
  const instances = deps.instances();
  const traffic = deps.traffic();
  const apps: AppRouting[] = [];
  for (const env of Object.keys(manifest.environments)) {
    for (const app of Object.keys(manifest.apps)) {
      const inRotation = new Set(traffic.find((t) => t.env === env && t.app === app)?.routable ?? []);
      const serving = instances.filter((i) => i.env === env && i.app === app && inRotation.has(i.id)).map((i) => i.release);
      const release =
        serving.length > 0 ? await deps.releases.get(env, app, Math.max(...serving)) : await deps.releases.findByStatus(env, app, "live");
      const config = release?.config ?? deps.manifests.resolve(manifest, app, env);
      apps.push({
        env,
        app,
        routes: config.routes,
        hosts: config.hosts,
        timeoutMs: config.timeoutMs,
        drainMs: config.drainMs,
        limits: config.limits,
        sticky: config.sticky,
        underscoresInHeaders: config.headers?.underscores === "allow",
        auth: config.auth ?? null,
        ...(config.auth?.apiKeys === true && deps.apiKeys !== undefined ? { apiKeys: await deps.apiKeys(env, app) } : {}),
        rum: config.rum === true,
      });
    }
  }
  return buildRoutingTable({
    version,
    environments: manifest.environments,
    apps,
    instances,
    traffic,
    probeToken: deps.probeToken,
    ...(deps.accessLogRoot === undefined ? {} : { accessLogRoot: deps.accessLogRoot }),
  });
}
