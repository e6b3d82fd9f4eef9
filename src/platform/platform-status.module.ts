import type { ManifestSource } from "../config/manifest-source.ts";
import type { ReleaseStore } from "../releases/release.store.ts";
import type { RolloutStore } from "../releases/rollout.store.ts";
import type { InstanceSupervisor } from "../runtime/instance-supervisor.ts";
import type { EdgeController } from "../traffic/edge-controller.ts";
import type { Module } from "./module.ts";
import { platformRoutes } from "./platform.routes.ts";
import { StatusService } from "./status.service.ts";

export interface PlatformStatus extends Module {
  status: StatusService;
}

/** `rampart status`, health and shutdown: the read model across the other modules and its routes. */
export function createPlatformStatus(deps: {
  manifests: ManifestSource;
  releases: ReleaseStore;
  rollouts: RolloutStore;
  supervisor: InstanceSupervisor;
  edge: EdgeController;
  dataDir: string;
  version: string;
  startedAt: number;
  shutdown(stopApps: boolean): void;
}): PlatformStatus {
  const status = new StatusService(deps);
  return { name: "platform", status, routes: platformRoutes(status, deps.shutdown, deps.version) };
}
