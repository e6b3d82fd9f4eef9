import type { EnvironmentStopped } from "./environment-stop.ts";
import type { Module } from "./module.ts";
import { platformRoutes } from "./platform.routes.ts";
import { StatusService, type StatusServiceDeps } from "./status.service.ts";

export interface PlatformStatus extends Module {
  status: StatusService;
}

/** `rampart status`, health and shutdown: the read model across the other modules and its routes. */
export function createPlatformStatus(
  deps: StatusServiceDeps & {
    shutdown(stopApps: boolean, actor: string): void;
    /** `rampart down --env ENV`: one environment's instances drained and stopped (environment-stop.ts). */
    stopEnvironment(env: string, actor: string): Promise<EnvironmentStopped>;
  },
): PlatformStatus {
  const status = new StatusService(deps);
  return { name: "platform", status, routes: platformRoutes(status, deps.shutdown, deps.version, deps.stopEnvironment) };
}
