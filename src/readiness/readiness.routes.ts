import { z } from "zod";
import { defineRoute, type RouteDefinition } from "../api/route-definition.ts";
import type { ReadinessService } from "./readiness.service.ts";
import { overrideBodySchema, overrideViewSchema, readinessReportSchema } from "./readiness.types.ts";

const params = z.strictObject({ env: z.string().min(1), app: z.string().min(1) });

export function readinessRoutes(service: ReadinessService): RouteDefinition[] {
  return [
    defineRoute({
      method: "GET",
      path: "/api/v1/envs/:env/apps/:app/readiness",
      summary: "The app's readiness scorecard in the environment: each check computed from recorded data, why it fails and its fix",
      tag: "readiness",
      permission: "read",
      params,
      response: readinessReportSchema,
      handler: ({ params: p }) => service.report(p.env, p.app),
    }),
    defineRoute({
      method: "POST",
      path: "/api/v1/envs/:env/apps/:app/readiness/override",
      summary:
        "Lets the app's first deploy to a protected environment go out within the hour despite failing readiness checks (recorded as readiness.overridden with who and why)",
      tag: "readiness",
      permission: "readiness.override",
      status: 201,
      params,
      body: overrideBodySchema,
      response: overrideViewSchema,
      handler: ({ params: p, body, actor }) => service.override(p.env, p.app, body.reason, actor),
    }),
  ];
}
