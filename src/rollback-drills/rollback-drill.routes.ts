import { z } from "zod";
import { defineRoute, type RouteDefinition } from "../api/route-definition.ts";
import { notFound } from "../shared/errors.ts";
import type { RollbackDrillService } from "./rollback-drill.service.ts";
import { rollbackDrillSchema, startDrillBodySchema } from "./rollback-drill.types.ts";

const params = z.strictObject({ env: z.string().min(1), app: z.string().min(1) });

export function rollbackDrillRoutes(service: RollbackDrillService): RouteDefinition[] {
  // The same start, twice: a protected environment needs its own permission, checked by the route that says so.
  const start = (path: string, permission: "deploy" | "drill.protected", allowProduction: boolean, summary: string) =>
    defineRoute({
      method: "POST",
      path,
      summary,
      tag: "drills",
      permission,
      status: 202,
      params,
      body: startDrillBodySchema,
      response: rollbackDrillSchema,
      handler: ({ params: p, body, actor }) => service.start(p.env, p.app, actor, { rate: body.rate, trigger: "manual", allowProduction }),
    });
  return [
    start(
      "/api/v1/envs/:env/apps/:app/drills/rollback",
      "deploy",
      false,
      "Starts a rollback drill under paced load through the edge: deploy the live artifact again, roll back, measure",
    ),
    start(
      "/api/v1/envs/:env/apps/:app/drills/rollback/protected",
      "drill.protected",
      true,
      "Starts a rollback drill in a protected environment (--allow-production; recorded in drill.rollback_started)",
    ),
    defineRoute({
      method: "GET",
      path: "/api/v1/envs/:env/apps/:app/drills/rollback",
      summary: "The app's rollback drills in the environment, newest first",
      tag: "drills",
      permission: "read",
      params,
      response: z.object({ drills: z.array(rollbackDrillSchema) }),
      handler: async ({ params: p }) => ({ drills: await service.history(p.env, p.app) }),
    }),
    defineRoute({
      method: "GET",
      path: "/api/v1/envs/:env/apps/:app/drills/rollback/:id",
      summary: "One rollback drill: its phase while it runs, its measurements once finished",
      tag: "drills",
      permission: "read",
      params: params.extend({ id: z.string().min(1).max(64) }),
      response: rollbackDrillSchema,
      handler: async ({ params: p }) => {
        const drill = await service.get(p.id);
        if (drill.env !== p.env || drill.app !== p.app)
          throw notFound(`rollback drill ${p.id} of ${p.app} in ${p.env}`, `rampart drill rollback ${p.app} --env ${p.env} --history`);
        return drill;
      },
    }),
  ];
}
