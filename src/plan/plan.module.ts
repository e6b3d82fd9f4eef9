import type { RouteDefinition } from "../api/route-definition.ts";
import type { Module } from "../platform/module.ts";
import { planRoutes } from "./plan.routes.ts";
import { type PlanDeps, PlanService } from "./plan.service.ts";

export interface PlanModule extends Module {
  service: PlanService;
  routes: RouteDefinition[];
}

/** `rampart plan`, `apply`, `export` (docs/plan-apply.md). */
export function createPlan(deps: PlanDeps): PlanModule {
  const service = new PlanService(deps);
  return { name: "plan", service, routes: planRoutes(service) };
}
