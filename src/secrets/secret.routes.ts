import { z } from "zod";
import { defineRoute, type RouteDefinition } from "../api/route-definition.ts";
import { releaseViewSchema } from "../releases/release.types.ts";
import type { DbQueryService } from "./db-query.service.ts";
import { dbQueryBodySchema, dbQueryResultSchema } from "./db-query.types.ts";
import type { SecretService } from "./secret.service.ts";
import { secretDiffSchema, secretMetaSchema, secretNameSchema, secretVersionSchema, setSecretBodySchema } from "./secret.types.ts";

const appParams = z.object({ env: z.string().min(1), app: z.string().min(1) });
const secretParams = appParams.extend({ name: secretNameSchema });
const changeSchema = z.object({
  secret: z.object({ env: z.string(), app: z.string(), name: z.string(), version: z.number().int(), state: z.enum(["set", "unset"]) }),
  release: releaseViewSchema.nullable().describe("the release the change rolls out as; null when nothing is live yet"),
});
const base = "/api/v1/envs/:env/apps/:app/secrets";

/** Names, versions, who and when: no route but reveal ever answers with a value. */
export function secretRoutes(secrets: SecretService, dbQuery: DbQueryService): RouteDefinition[] {
  return [
    defineRoute({
      method: "GET",
      path: base,
      summary: "The app's secrets in the environment: names, versions, who set them and when (never values)",
      tag: "secrets",
      permission: "secrets.list",
      params: appParams,
      response: z.object({ secrets: z.array(secretMetaSchema) }),
      handler: async ({ params }) => ({ secrets: await secrets.list(params.env, params.app) }),
    }),
    defineRoute({
      method: "PUT",
      path: `${base}/:name`,
      summary: "Set a secret (version N+1); when the app is live this creates its next release, rolled out with its strategy",
      tag: "secrets",
      permission: "secrets.write",
      params: secretParams,
      body: setSecretBodySchema,
      response: changeSchema,
      handler: ({ params, body, actor }) => secrets.set(params.env, params.app, params.name, body.value, actor),
    }),
    defineRoute({
      method: "DELETE",
      path: `${base}/:name`,
      summary: "Unset a secret (a tombstone version); when the app is live this creates its next release",
      tag: "secrets",
      permission: "secrets.write",
      params: secretParams,
      response: changeSchema,
      handler: ({ params, actor }) => secrets.unset(params.env, params.app, params.name, actor),
    }),
    defineRoute({
      method: "GET",
      path: `${base}/:name/history`,
      summary: "Every version of a secret: set or unset, by whom, when (never values)",
      tag: "secrets",
      permission: "secrets.list",
      params: secretParams,
      response: z.object({ versions: z.array(secretVersionSchema) }),
      handler: async ({ params }) => ({ versions: await secrets.history(params.env, params.app, params.name) }),
    }),
    defineRoute({
      method: "POST",
      path: `${base}/:name/reveal`,
      summary: "A secret's value (the latest or a given version); recorded as secret.revealed",
      tag: "secrets",
      permission: "secrets.reveal",
      params: secretParams,
      body: z.strictObject({ version: z.number().int().min(1).optional() }),
      response: z.object({ name: z.string(), version: z.number().int(), value: z.string() }),
      handler: ({ params, body, actor }) => secrets.reveal(params.env, params.app, params.name, actor, body.version),
    }),
    defineRoute({
      method: "GET",
      path: "/api/v1/secrets/diff",
      summary: "Secret names set in one environment and not the other, with their versions",
      tag: "secrets",
      permission: "secrets.list",
      query: z.strictObject({ a: z.string().min(1), b: z.string().min(1), app: z.string().min(1).optional() }),
      response: secretDiffSchema,
      handler: ({ query }) => secrets.diff(query.a, query.b, query.app),
    }),
    defineRoute({
      method: "POST",
      path: "/api/v1/secrets/rotate-key",
      summary: "Rewrap every environment's data key under a new key-encryption key (the key file is replaced)",
      tag: "secrets",
      permission: "secrets.write",
      body: z.strictObject({}),
      response: z.object({ from: z.string(), to: z.string(), environments: z.array(z.string()) }),
      handler: ({ actor }) => secrets.rotateKey(actor),
    }),
    defineRoute({
      method: "POST",
      path: "/api/v1/envs/:env/apps/:app/databases/:db/query",
      summary: "Run one query against the app's database in a read-only transaction (statement timeout, row limit); recorded as db.query",
      tag: "secrets",
      permission: "db.query",
      params: appParams.extend({ db: z.string().min(1) }),
      body: dbQueryBodySchema,
      response: dbQueryResultSchema,
      handler: ({ params, body, actor }) => dbQuery.query(params.env, params.app, params.db, body, actor),
    }),
  ];
}
