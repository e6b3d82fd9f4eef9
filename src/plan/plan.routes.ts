import { defineRoute, type RouteDefinition } from "../api/route-definition.ts";
import type { PlanService } from "./plan.service.ts";
import { applyBodySchema, applyResultSchema, exportSchema, planSchema } from "./plan.types.ts";

export function planRoutes(service: PlanService): RouteDefinition[] {
  return [
    defineRoute({
      method: "GET",
      path: "/api/v1/plan",
      summary: "What the running platform would change to match rampart.yaml, as a list of changes (those needing a release marked)",
      tag: "plan",
      permission: "read",
      response: planSchema,
      handler: () => service.plan(),
    }),
    defineRoute({
      method: "POST",
      path: "/api/v1/apply",
      summary: "Carries out the plan's changes that need no release (recorded as manifest.applied) and lists the rest",
      tag: "plan",
      permission: "platform.manage",
      body: applyBodySchema,
      response: applyResultSchema,
      handler: ({ body, actor }) => service.apply(actor, body.digest),
    }),
    defineRoute({
      method: "GET",
      path: "/api/v1/export",
      summary: "The running state as rampart.yaml (the manifest last applied, with overrides for what live releases run)",
      tag: "plan",
      // The file as written, receivers' webhook URLs and all: whoever may change the platform, not every reader.
      permission: "platform.manage",
      response: exportSchema,
      handler: async () => ({ yaml: await service.export() }),
    }),
  ];
}
