import { z } from "zod";
import { defineRoute, type RouteDefinition } from "../api/route-definition.ts";
import type { OverviewService } from "./overview.service.ts";
import { overviewSchema } from "./overview.types.ts";

/** The console's home in one request (instead of three per app), for a project of any size. */
export function overviewRoutes(overview: Pick<OverviewService, "overview">, oidcConfigured: () => boolean): RouteDefinition[] {
  return [
    defineRoute({
      method: "GET",
      path: "/api/v1/auth/methods",
      summary: "How one may log in here (for the console's login page): always a password, OpenID Connect when rampart.yaml configures it",
      tag: "auth",
      // Asked before anyone has logged in; it says only whether single sign-on is configured.
      auth: false,
      response: z.object({ password: z.literal(true), oidc: z.boolean() }),
      handler: async () => ({ password: true as const, oidc: oidcConfigured() }),
    }),
    defineRoute({
      method: "GET",
      path: "/api/v1/overview",
      summary:
        "Production at a glance, in the environments the caller may read: per environment and app the live release, instances, req/s, error %, p99 and its sparkline, rollouts in progress; the latest changes, firing alerts, open incidents and who is on call",
      tag: "platform",
      permission: "read",
      filtered: true,
      response: overviewSchema,
      handler: async ({ may }) => overview.overview((env) => may("read", env)),
    }),
  ];
}
