import { z } from "zod";
import { defineRoute, type RouteDefinition } from "../api/route-definition.ts";
import type { ReleaseService } from "./release.service.ts";
import { appParamsSchema, promoteBodySchema, releaseViewSchema } from "./release.types.ts";
import type { RolloutService } from "./rollout.service.ts";
import { rolloutActions, rolloutViewSchema } from "./rollout.view.ts";

export function rolloutRoutes(rollouts: RolloutService, releases: ReleaseService): RouteDefinition[] {
  return [
    defineRoute({
      method: "GET",
      path: "/api/v1/envs/:env/apps/:app/rollout",
      summary: "The app's latest rollout: state, step, traffic split, the latest analysis verdict and its evidence",
      tag: "rollouts",
      permission: "read",
      params: appParamsSchema,
      response: rolloutViewSchema,
      handler: ({ params }) => rollouts.status(params.env, params.app),
    }),
    defineRoute({
      method: "POST",
      path: "/api/v1/envs/:env/apps/:app/rollout/:action",
      summary:
        "Control the rollout in progress: pause (no step advances), resume, promote (skip the remaining steps and analysis), abort (traffic back to stable)",
      tag: "rollouts",
      permission: "rollout.steer",
      params: appParamsSchema.extend({ action: z.enum(rolloutActions) }),
      body: z.strictObject({ reason: z.string().max(500).optional().describe("why; recorded in the event") }),
      response: rolloutViewSchema,
      handler: ({ params, body, actor }) => rollouts.control(params.env, params.app, params.action, actor, body.reason),
    }),
    defineRoute({
      method: "POST",
      path: "/api/v1/apps/:app/promotions",
      summary: "Deploy the artifact live in one environment to another (no rebuild), with the target's config and release policy",
      tag: "rollouts",
      permission: "deploy",
      // Checked where the release goes: deploying to production needs deploy in production.
      permissionEnvField: "to",
      status: 202,
      params: z.object({ app: z.string().min(1) }),
      body: promoteBodySchema,
      response: releaseViewSchema,
      handler: ({ params, body, actor }) => releases.promote(params.app, body, actor),
    }),
  ];
}
