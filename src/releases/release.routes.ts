import { z } from "zod";
import { defineRoute, type RouteDefinition } from "../api/route-definition.ts";
import type { ReleaseService } from "./release.service.ts";
import { appParamsSchema, deployBodySchema, releaseParamsSchema, releaseViewSchema, rollbackBodySchema } from "./release.types.ts";

export function releaseRoutes(service: ReleaseService): RouteDefinition[] {
  return [
    defineRoute({
      method: "POST",
      path: "/api/v1/envs/:env/apps/:app/releases",
      summary:
        "Deploy: snapshot the source into an artifact, create the next release and start its rollout (returns at once; follow /api/v1/events/stream or poll the release)",
      tag: "releases",
      permission: "deploy",
      status: 202,
      params: appParamsSchema,
      body: deployBodySchema,
      response: releaseViewSchema,
      handler: ({ params, body, actor }) => service.deploy(params.env, params.app, body, actor),
    }),
    defineRoute({
      method: "POST",
      path: "/api/v1/envs/:env/apps/:app/rollbacks",
      summary: "Roll back: a new release from an older release's artifact and config",
      tag: "releases",
      permission: "rollback",
      status: 202,
      params: appParamsSchema,
      body: rollbackBodySchema,
      response: releaseViewSchema,
      handler: ({ params, body, actor }) => service.rollback(params.env, params.app, body, actor),
    }),
    defineRoute({
      method: "GET",
      path: "/api/v1/envs/:env/apps/:app/releases",
      summary: "Releases of an app in an environment, newest first",
      tag: "releases",
      permission: "read",
      params: appParamsSchema,
      response: z.object({ releases: z.array(releaseViewSchema) }),
      handler: async ({ params }) => ({ releases: await service.list(params.env, params.app) }),
    }),
    defineRoute({
      method: "GET",
      path: "/api/v1/envs/:env/apps/:app/releases/:number",
      summary: "One release with its rollout state and instances",
      tag: "releases",
      permission: "read",
      params: releaseParamsSchema,
      response: releaseViewSchema,
      handler: ({ params }) => service.get(params.env, params.app, params.number),
    }),
  ];
}
