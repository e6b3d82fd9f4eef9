import type { RouteDefinition } from "../api/route-definition.ts";
import type { Module } from "../platform/module.ts";
import { readinessRoutes } from "./readiness.routes.ts";
import { type ReadinessDeps, ReadinessService } from "./readiness.service.ts";

export interface Readiness extends Module {
  service: ReadinessService;
  routes: RouteDefinition[];
}

/** The readiness scorecard and the gate on an app's first deploy to a protected environment (no table: events only). */
export function createReadiness(deps: ReadinessDeps): Readiness {
  const service = new ReadinessService(deps);
  return { name: "readiness", service, routes: readinessRoutes(service) };
}
