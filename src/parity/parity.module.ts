import type { ManifestSource } from "../config/manifest-source.ts";
import type { RouteDefinition } from "../api/route-definition.ts";
import type { Module } from "../platform/module.ts";
import type { Clock } from "../shared/clock.ts";
import { postgresInspector } from "./database-stats.ts";
import type { ParitySources } from "./parity-sources.ts";
import { parityRoutes } from "./parity.routes.ts";
import { ParityService } from "./parity.service.ts";
import { RuntimeProbe } from "./runtime-probe.ts";

export interface Parity extends Module {
  /** `compare` for the API; `drift(app, from, to)` for the readiness check. */
  service: ParityService;
  routes: RouteDefinition[];
}

/** Staging/production parity (docs/parity.md): a read model over releases, instances, secrets, flags and databases. */
export function createParity(deps: {
  manifests: ManifestSource;
  clock: Clock;
  sources: Omit<ParitySources, "manifest" | "databases" | "runtime">;
}): Parity {
  const service = new ParityService(
    { ...deps.sources, manifest: () => deps.manifests.current, databases: postgresInspector, runtime: new RuntimeProbe() },
    deps.clock,
  );
  return { name: "parity", service, routes: parityRoutes(service) };
}
