import { z } from "zod";
import { defineRoute, type RouteDefinition } from "../api/route-definition.ts";
import { eventSchema } from "../events/event.types.ts";
import { changeRequestStatuses } from "./flag-change.types.ts";
import type { FlagSdkService } from "./flag-sdk.service.ts";
import type { FlagService } from "./flag.service.ts";
import {
  actorBodySchema,
  createFlagBodySchema,
  envStatePatchSchema,
  keySchema,
  percentRolloutBodySchema,
  planBodySchema,
  segmentBodySchema,
} from "./flag.types.ts";
import { changeRequestViewSchema, changeResultSchema, evaluationViewSchema, flagViewSchema, segmentViewSchema } from "./flag.view.ts";

const flagParams = z.object({ key: keySchema });
const flagEnvParams = z.object({ key: keySchema, env: z.string().min(1) });
const envQuery = z.strictObject({ env: z.string().min(1).optional().describe("only this environment") });

/**
 * The credentials file (`local`) is shared by whoever runs the CLI on the machine, so a change made with it may name
 * the person making it (`as`). Approvals compare these names; every other caller is named by its own credential.
 */
function who(actor: string, as: string | undefined): string {
  return actor === "local" && as !== undefined ? as : actor;
}

export function flagRoutes(flags: FlagService, sdk: FlagSdkService): RouteDefinition[] {
  return [
    defineRoute({
      method: "GET",
      path: "/api/v1/flags",
      summary: "Every flag with its state per environment and stale detection",
      tag: "flags",
      permission: "read",
      query: envQuery,
      response: z.object({ flags: z.array(flagViewSchema) }),
      handler: async ({ query }) => ({ flags: await flags.list(query.env) }),
    }),
    defineRoute({
      method: "POST",
      path: "/api/v1/flags",
      summary: "Create a flag (every environment gets it serving its off variation)",
      tag: "flags",
      permission: "flags.write",
      status: 201,
      body: createFlagBodySchema,
      response: flagViewSchema,
      handler: ({ body, actor }) => flags.create(body, who(actor, body.as)),
    }),
    defineRoute({
      method: "GET",
      path: "/api/v1/flags/:key",
      summary: "One flag: definition, per-environment targeting, latest guarded rollout, staleness",
      tag: "flags",
      permission: "read",
      params: flagParams,
      query: envQuery,
      response: flagViewSchema,
      handler: ({ params, query }) => flags.get(params.key, query.env),
    }),
    defineRoute({
      method: "PUT",
      path: "/api/v1/flags/:key/envs/:env",
      summary:
        "Change a flag's targeting in one environment (enabled, rules, fallthrough, prerequisites); a protected environment files a change request",
      tag: "flags",
      permission: "flags.write",
      params: flagEnvParams,
      body: envStatePatchSchema,
      response: changeResultSchema,
      handler: ({ params, body, actor }) => flags.setState(params.key, params.env, body, who(actor, body.as)),
    }),
    defineRoute({
      method: "POST",
      path: "/api/v1/flags/:key/envs/:env/rollout",
      summary: "Serve a variation to a percentage of contexts, sticky by an attribute (raising it keeps everyone already in)",
      tag: "flags",
      permission: "flags.write",
      params: flagEnvParams,
      body: percentRolloutBodySchema,
      response: changeResultSchema,
      handler: ({ params, body, actor }) => flags.percentRollout(params.key, params.env, body, who(actor, body.as)),
    }),
    defineRoute({
      method: "POST",
      path: "/api/v1/flags/:key/envs/:env/plan",
      summary: "Start a guarded rollout: steps that advance on their own only while the per-variant guards hold",
      tag: "flags",
      permission: "flags.write",
      params: flagEnvParams,
      body: planBodySchema,
      response: changeResultSchema,
      handler: ({ params, body, actor }) => flags.startPlan(params.key, params.env, body, who(actor, body.as)),
    }),
    defineRoute({
      method: "POST",
      path: "/api/v1/flags/:key/envs/:env/plan/:action",
      summary: "Pause, resume or stop the guarded rollout in progress",
      tag: "flags",
      permission: "flags.write",
      params: flagEnvParams.extend({ action: z.enum(["pause", "resume", "stop"]) }),
      body: actorBodySchema,
      response: changeResultSchema,
      handler: ({ params, body, actor }) => flags.controlPlan(params.key, params.env, params.action, who(actor, body.as), body.reason),
    }),
    defineRoute({
      method: "POST",
      path: "/api/v1/flags/:key/envs/:env/kill",
      summary: "Kill switch: everyone gets the off variation now (never waits for approval)",
      tag: "flags",
      permission: "flags.write",
      params: flagEnvParams,
      body: actorBodySchema,
      response: changeResultSchema,
      handler: ({ params, body, actor }) => flags.kill(params.key, params.env, who(actor, body.as), body.reason),
    }),
    defineRoute({
      method: "POST",
      path: "/api/v1/flags/:key/envs/:env/evaluate",
      summary: "Evaluate the flag for a context, as an SDK in that environment would",
      tag: "flags",
      permission: "read",
      params: flagEnvParams,
      body: z.strictObject({ context: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])).default({}) }),
      response: evaluationViewSchema,
      handler: ({ params, body }) => flags.evaluate(params.key, params.env, body.context),
    }),
    defineRoute({
      method: "GET",
      path: "/api/v1/flags/:key/history",
      summary: "The flag's events: who changed what, before and after",
      tag: "flags",
      permission: "read",
      params: flagParams,
      query: envQuery.extend({ limit: z.coerce.number().int().min(1).max(10_000).default(200) }),
      response: z.object({ events: z.array(eventSchema) }),
      handler: async ({ params, query }) => ({ events: await flags.history(params.key, query.env, query.limit) }),
    }),
    defineRoute({
      method: "GET",
      path: "/api/v1/flag-segments/:env",
      summary: "Segments of an environment",
      tag: "flags",
      permission: "read",
      params: z.object({ env: z.string().min(1) }),
      response: z.object({ segments: z.array(segmentViewSchema) }),
      handler: async ({ params }) => ({ segments: await flags.segments(params.env) }),
    }),
    defineRoute({
      method: "PUT",
      path: "/api/v1/flag-segments/:env/:segment",
      summary: "Create or replace a segment (a protected environment files a change request)",
      tag: "flags",
      permission: "flags.write",
      params: z.object({ env: z.string().min(1), segment: keySchema }),
      body: segmentBodySchema,
      response: changeResultSchema,
      handler: ({ params, body, actor }) => flags.setSegment(params.env, params.segment, body, who(actor, body.as)),
    }),
    defineRoute({
      method: "DELETE",
      path: "/api/v1/flag-segments/:env/:segment",
      summary: "Delete a segment",
      tag: "flags",
      permission: "flags.write",
      params: z.object({ env: z.string().min(1), segment: keySchema }),
      query: z.strictObject({ as: z.string().min(1).max(100).optional() }),
      response: changeResultSchema,
      handler: ({ params, query, actor }) => flags.setSegment(params.env, params.segment, null, who(actor, query.as)),
    }),
    defineRoute({
      method: "GET",
      path: "/api/v1/flag-requests",
      summary: "Change requests of protected environments",
      tag: "flags",
      permission: "read",
      query: z.strictObject({ env: z.string().min(1).optional(), status: z.enum(changeRequestStatuses).optional() }),
      response: z.object({ requests: z.array(changeRequestViewSchema) }),
      handler: async ({ query }) => ({ requests: await flags.requests(query.env, query.status) }),
    }),
    defineRoute({
      method: "POST",
      path: "/api/v1/flag-requests/:id/approve",
      summary: "Approve and apply a change request (the approver must not be its requester)",
      tag: "flags",
      permission: "flags.approve",
      params: z.object({ id: z.coerce.number().int().min(1) }),
      body: actorBodySchema,
      response: changeResultSchema,
      handler: ({ params, body, actor }) => flags.approve(params.id, who(actor, body.as)),
    }),
    defineRoute({
      method: "POST",
      path: "/api/v1/flag-requests/:id/reject",
      summary: "Reject a change request",
      tag: "flags",
      permission: "flags.approve",
      params: z.object({ id: z.coerce.number().int().min(1) }),
      body: actorBodySchema,
      response: changeRequestViewSchema,
      handler: ({ params, body, actor }) => flags.reject(params.id, who(actor, body.as), body.reason),
    }),
    defineRoute({
      method: "POST",
      path: "/api/v1/flag-tokens",
      summary: "Create an SDK token for one environment (shown once; only its SHA-256 is stored)",
      tag: "flags",
      permission: "flags.write",
      status: 201,
      body: z.strictObject({ env: z.string().min(1), as: z.string().min(1).max(100).optional() }),
      response: z.object({ token: z.string(), env: z.string() }),
      handler: ({ body, actor }) => flags.createToken(body.env, who(actor, body.as)),
    }),
    defineRoute({
      method: "POST",
      path: "/api/v1/flags/sdk/metrics",
      summary: "SDK evaluation counts (drive stale detection); SDK token",
      tag: "flags",
      status: 202,
      auth: (authorization) => sdk.actorOf(authorization),
      body: z.strictObject({
        fromMs: z.number().int().min(0),
        toMs: z.number().int().min(0),
        counts: z
          .array(
            z.strictObject({
              flag: z.string().min(1).max(100),
              variation: z.string().min(1).max(100),
              count: z.number().int().min(0).max(1e12),
            }),
          )
          .max(10_000),
      }),
      response: z.object({ accepted: z.number().int() }),
      handler: ({ body, actor }) => sdk.metrics(actor, body),
    }),
  ];
}
