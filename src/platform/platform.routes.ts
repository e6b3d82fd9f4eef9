import { z } from "zod";
import { defineRoute, type RouteDefinition } from "../api/route-definition.ts";
import type { EnvironmentStopped } from "./environment-stop.ts";
import type { StatusService } from "./status.service.ts";
import { platformStatusSchema } from "./status.types.ts";

export const shutdownBodySchema = z.strictObject({
  stopApps: z
    .boolean()
    .default(false)
    .describe("also drain and stop every instance and the edge (rampart down); otherwise they keep serving"),
});

export const environmentStoppedSchema = z.object({
  env: z.string(),
  stopped: z.array(z.string()).describe("ids of the instances stopped"),
});

export function platformRoutes(
  status: StatusService,
  shutdown: (stopApps: boolean, actor: string) => void,
  version: string,
  stopEnvironment: (env: string, actor: string) => Promise<EnvironmentStopped>,
): RouteDefinition[] {
  return [
    defineRoute({
      method: "GET",
      path: "/api/v1/health",
      summary: "Liveness of the control plane (no token needed)",
      tag: "platform",
      auth: false,
      response: z.object({ ok: z.literal(true), version: z.string(), pid: z.number().int() }),
      handler: async () => ({ ok: true as const, version, pid: process.pid }),
    }),
    defineRoute({
      method: "GET",
      path: "/api/v1/status",
      summary:
        "Every environment the caller may read and its apps: live release, rollout in progress, instances with pid, port, release and health",
      tag: "platform",
      permission: "read",
      filtered: true,
      response: platformStatusSchema,
      handler: async ({ may }) => status.status((env) => may("read", env)),
    }),
    defineRoute({
      method: "POST",
      path: "/api/v1/shutdown",
      summary: "Stop the control plane; with stopApps, drain and stop every instance and the edge too",
      tag: "platform",
      permission: "platform.manage",
      status: 202,
      body: shutdownBodySchema,
      response: z.object({ ok: z.literal(true), stopApps: z.boolean() }),
      handler: async ({ body, actor }) => {
        setImmediate(() => shutdown(body.stopApps, actor));
        return { ok: true as const, stopApps: body.stopApps };
      },
    }),
    defineRoute({
      method: "POST",
      path: "/api/v1/envs/:env/stop",
      summary: "Drain and stop one environment's instances (rampart down --env); the edge and the other environments keep serving",
      tag: "platform",
      permission: "platform.manage",
      params: z.object({ env: z.string().min(1) }),
      response: environmentStoppedSchema,
      handler: ({ params, actor }) => stopEnvironment(params.env, actor),
    }),
  ];
}
