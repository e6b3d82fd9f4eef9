import { defineRoute, type RouteDefinition } from "../api/route-definition.ts";
import type { ParityService } from "./parity.service.ts";
import { parityQuerySchema, parityReportSchema } from "./parity.types.ts";

export function parityRoutes(parity: Pick<ParityService, "compare">): RouteDefinition[] {
  return [
    defineRoute({
      method: "GET",
      path: "/api/v1/parity",
      summary:
        "Compares two environments (config, secrets by name and version, instances, limits, routes, health, runtimes, databases, flags, artifacts): every drift with its severity and whether rampart.yaml allows it",
      tag: "parity",
      // Spans two environments: like the secrets diff, the read permission is checked in every environment.
      permission: "read",
      query: parityQuerySchema,
      response: parityReportSchema,
      handler: ({ query }) => parity.compare(query),
    }),
  ];
}
