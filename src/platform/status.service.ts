import type { ManifestSource } from "../config/manifest-source.ts";
import type { EdgeController } from "../traffic/edge-controller.ts";
import type { ReleaseStore } from "../releases/release.store.ts";
import type { RolloutStore } from "../releases/rollout.store.ts";
import type { InstanceSupervisor } from "../runtime/instance-supervisor.ts";
import { toInstanceView } from "../runtime/instance.types.ts";
import { environmentUrl } from "./environment-url.ts";
import { findLeftovers } from "./leftovers.ts";
import type { PlatformStatus } from "./status.types.ts";

export interface StatusServiceDeps {
  manifests: ManifestSource;
  releases: ReleaseStore;
  rollouts: RolloutStore;
  supervisor: InstanceSupervisor;
  edge: EdgeController;
  dataDir: string;
  version: string;
  startedAt: number;
}

/** One read model across manifest, releases, rollouts, instances and the edge. */
export class StatusService {
  readonly #deps: StatusServiceDeps;

  constructor(deps: StatusServiceDeps) {
    this.#deps = deps;
  }

  /**
   * `visible`: the environments the caller may read (the route is `filtered`); the others, and their leftovers, are
   * left out.
   */
  async status(visible: (env: string) => boolean = () => true): Promise<PlatformStatus> {
    const manifest = this.#deps.manifests.current;
    const active = await this.#deps.rollouts.active();
    const instances = this.#deps.supervisor.list();
    const edgeErrors = this.#deps.edge.lastResult?.errors ?? [];
    const environments = await Promise.all(
      Object.entries(manifest.environments)
        .filter(([name]) => visible(name))
        .map(async ([name, env]) => {
          const error = edgeErrors.find((e) => e.env === name);
          const apps = await Promise.all(
            Object.keys(manifest.apps).map(async (app) => ({
              name: app,
              live: (await this.#deps.releases.findByStatus(name, app, "live"))?.number ?? null,
              deploying: active.find((r) => r.env === name && r.app === app)?.release ?? null,
              instances: instances
                .filter((i) => i.env === name && i.app === app)
                .map((i) => toInstanceView(i, this.#deps.supervisor.isRoutable(i))),
            })),
          );
          return {
            name,
            url: environmentUrl(env),
            port: env.port,
            bind: env.bind,
            protected: env.protected,
            listening: !error,
            error: error?.message ?? null,
            apps,
          };
        }),
    );
    return {
      project: manifest.name,
      manifest: manifest.path,
      dataDir: this.#deps.dataDir,
      version: this.#deps.version,
      controlPlane: { pid: process.pid, startedAt: this.#deps.startedAt },
      edge: { pid: this.#deps.edge.pid },
      environments,
      leftovers: findLeftovers(manifest, instances)
        .filter((l) => visible(l.env))
        .map((l) => ({
          ...l,
          instances: l.instances.map((i) => toInstanceView(i, this.#deps.supervisor.isRoutable(i))),
        })),
    };
  }
}
