import { z } from "zod";
import { defineRoute, type RouteDefinition } from "../api/route-definition.ts";
import type { LoadTestService } from "./loadtest.service.ts";
import { loadTestRecordSchema, recordedLoadTestSchema, recordLoadTestBodySchema } from "./loadtest.types.ts";

const params = z.strictObject({ env: z.string().min(1), app: z.string().min(1) });

export function loadTestRoutes(service: LoadTestService, assertApp: (env: string, app: string) => void): RouteDefinition[] {
  return [
    defineRoute({
      method: "POST",
      path: "/api/v1/envs/:env/apps/:app/loadtests",
      summary: "Records a load test's result (rampart loadtest runs it through the edge) and returns the previous one to compare",
      tag: "loadtests",
      permission: "deploy",
      status: 201,
      params,
      body: recordLoadTestBodySchema,
      response: recordedLoadTestSchema,
      handler: ({ params: p, body, actor }) => {
        assertApp(p.env, p.app);
        return service.record(p.env, p.app, actor, body.result, body.allowProduction);
      },
    }),
    defineRoute({
      method: "POST",
      path: "/api/v1/envs/:env/apps/:app/loadtests/allow-production",
      summary: "Allows a load test against a protected environment (recorded as loadtest.allowed)",
      tag: "loadtests",
      permission: "platform.manage",
      params,
      body: z.strictObject({ rate: z.number().positive(), durationMs: z.number().int().positive() }),
      response: z.object({ allowed: z.literal(true) }),
      handler: ({ params: p, body, actor }) => {
        assertApp(p.env, p.app);
        return service.allowProduction(p.env, p.app, actor, body.rate, body.durationMs);
      },
    }),
    defineRoute({
      method: "GET",
      path: "/api/v1/envs/:env/apps/:app/loadtests/latest",
      summary: "The latest load test of the app in the environment, or null",
      tag: "loadtests",
      permission: "read",
      params,
      response: z.object({ latest: loadTestRecordSchema.nullable() }),
      handler: async ({ params: p }) => {
        assertApp(p.env, p.app);
        return { latest: await service.latest(p.env, p.app) };
      },
    }),
  ];
}
