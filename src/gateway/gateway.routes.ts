import { z } from "zod";
import { defineRoute, type RouteDefinition } from "../api/route-definition.ts";
import { accessLineSchema, type AccessLine } from "./edge-log.reader.ts";
import type { ApiKeyService } from "./api-key.service.ts";
import { apiKeySchema, createdApiKeySchema } from "./api-key.types.ts";

const appParams = z.strictObject({ env: z.string().min(1), app: z.string().min(1) });

export interface GatewayRouteDeps {
  keys: ApiKeyService;
  assertApp(env: string, app: string): void;
  assertEnv(env: string): void;
  edgeLog(env: string, options: { since?: number; limit: number; grep?: string }): Promise<AccessLine[]>;
}

export function gatewayRoutes(deps: GatewayRouteDeps): RouteDefinition[] {
  return [
    defineRoute({
      method: "POST",
      path: "/api/v1/envs/:env/apps/:app/api-keys",
      summary: "Makes an API key for the app (shown once in this answer, stored hashed; recorded as apikey.created)",
      tag: "gateway",
      permission: "secrets.write",
      status: 201,
      params: appParams,
      body: z.strictObject({ name: z.string().min(1).max(63).optional() }),
      response: createdApiKeySchema,
      handler: ({ params, body, actor }) => {
        deps.assertApp(params.env, params.app);
        return deps.keys.create(params.env, params.app, actor, body.name);
      },
    }),
    defineRoute({
      method: "GET",
      path: "/api/v1/envs/:env/apps/:app/api-keys",
      summary: "The app's API keys, revoked ones too (names, who made them, when; never the keys)",
      tag: "gateway",
      permission: "secrets.list",
      params: appParams,
      response: z.object({ apiKeys: z.array(apiKeySchema) }),
      handler: async ({ params }) => {
        deps.assertApp(params.env, params.app);
        return { apiKeys: await deps.keys.list(params.env, params.app) };
      },
    }),
    defineRoute({
      method: "DELETE",
      path: "/api/v1/envs/:env/apps/:app/api-keys/:name",
      summary: "Revokes an API key by name or id (recorded as apikey.revoked); the edge refuses it from the next table push",
      tag: "gateway",
      permission: "secrets.write",
      params: appParams.extend({ name: z.string().min(1).max(200) }),
      response: apiKeySchema,
      handler: ({ params, actor }) => {
        deps.assertApp(params.env, params.app);
        return deps.keys.revoke(params.env, params.app, params.name, actor);
      },
    }),
    defineRoute({
      method: "GET",
      path: "/api/v1/envs/:env/edge-log",
      summary: "The edge's access log of the environment (environments.<env>.access_log), newest last",
      tag: "gateway",
      permission: "logs.read",
      params: z.strictObject({ env: z.string().min(1) }),
      query: z.strictObject({
        since: z.coerce.number().int().optional().describe("epoch ms: only requests at or after"),
        limit: z.coerce.number().int().min(1).max(10_000).default(200),
        grep: z.string().max(200).optional().describe("a substring of the JSON line"),
      }),
      response: z.object({ entries: z.array(accessLineSchema) }),
      handler: async ({ params, query }) => {
        deps.assertEnv(params.env);
        return {
          entries: await deps.edgeLog(params.env, {
            limit: query.limit,
            ...(query.since === undefined ? {} : { since: query.since }),
            ...(query.grep === undefined ? {} : { grep: query.grep }),
          }),
        };
      },
    }),
  ];
}
