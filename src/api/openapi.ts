import { z } from "zod";
import { type Permission, permissionMeaning, platformPermissions } from "../access/permissions.ts";
import { type EnvSource, envSourceOf } from "./permission-scope.ts";
import type { RouteAuth, RouteDefinition } from "./route-definition.ts";
import type { StreamRouteDefinition } from "./stream-route.ts";

/** The OpenAPI 3.1 document, generated from the same schemas that validate requests. */
export function buildOpenApiDocument(
  routes: RouteDefinition[],
  streams: StreamRouteDefinition[],
  version: string,
): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const stream of streams) {
    (paths[toOpenApiPath(stream.path)] ??= {}).get = {
      summary: stream.summary,
      ...access(stream.auth, stream.permission, envSourceOf(stream), false, stream.filtered === true),
      tags: [stream.tag],
      parameters: [...parameters(stream.params, "path"), ...parameters(stream.query, "query")],
      responses: {
        "200": { description: "Server-Sent Events", content: { "text/event-stream": { schema: { type: "string" } } } },
        default: { description: "Error", content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } } },
      },
    };
  }
  for (const route of routes) {
    const openApiPath = toOpenApiPath(route.path);
    const operation: Record<string, unknown> = {
      summary: route.summary,
      ...access(route.auth, route.permission, envSourceOf(route), route.anyEnvironment === true, route.filtered === true),
      tags: [route.tag],
      parameters: [...parameters(route.params, "path"), ...parameters(route.query, "query")],
      responses: {
        [String(route.status ?? 200)]: {
          description: "OK",
          content: { "application/json": { schema: jsonSchema(route.response, "output") } },
        },
        default: { description: "Error", content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } } },
      },
    };
    if (route.auth === false) operation.security = [];
    if (route.body) {
      operation.requestBody = { required: true, content: { "application/json": { schema: jsonSchema(route.body, "input") } } };
    }
    (paths[openApiPath] ??= {})[route.method.toLowerCase()] = operation;
  }
  return {
    openapi: "3.1.0",
    info: { title: "Rampart control-plane API", version },
    servers: [{ url: "/" }],
    security: [{ bearer: [] }],
    paths,
    components: {
      securitySchemes: { bearer: { type: "http", scheme: "bearer" } },
      schemas: {
        Error: {
          type: "object",
          required: ["error"],
          properties: {
            error: {
              type: "object",
              required: ["code", "message"],
              properties: { code: { type: "string" }, message: { type: "string" }, hint: { type: "string" }, details: {} },
            },
          },
        },
      },
    },
  };
}

/**
 * What an operation needs, for people (the description) and tools (`x-rampart-permission`, which the
 * permission-matrix test walks): a permission, no token at all, or the route's own token (an SDK token).
 */
function access(
  auth: RouteAuth | undefined,
  permission: Permission | undefined,
  env: EnvSource | null,
  anyEnvironment = false,
  filtered = false,
): Record<string, unknown> {
  if (auth === false) return { description: "Needs no token.", "x-rampart-permission": "public" };
  if (typeof auth === "function")
    return { description: "Needs the route's own token (an SDK token).", "x-rampart-permission": "own-token" };
  if (permission === undefined) return { description: "Needs any known caller." };
  return {
    description: `Needs permission \`${permission}\` (${permissionMeaning[permission]})${
      platformPermissions.has(permission) ? " in every environment" : ""
    }${anyEnvironment ? " in any environment (the handler checks the rest: asking for access needs no role where it is asked)" : ""}${
      filtered ? " in at least one environment; the answer holds only the environments where it is held" : ""
    }: see docs/access.md.`,
    "x-rampart-permission": permission,
    ...(anyEnvironment ? { "x-rampart-permission-any-environment": true } : {}),
    // Let in on the permission held anywhere, answered with only the environments where it is held.
    ...(filtered ? { "x-rampart-permission-filtered": true } : {}),
    // Where the environment it is checked in comes from (`params.env`, `body.to`, …); absent: every environment.
    ...(env && !platformPermissions.has(permission) ? { "x-rampart-permission-env": `${env.from}.${env.field}` } : {}),
  };
}

function toOpenApiPath(path: string): string {
  return path.replace(/:([A-Za-z_]+)/g, "{$1}");
}

function jsonSchema(schema: z.ZodType, io: "input" | "output"): unknown {
  return z.toJSONSchema(schema, { io, unrepresentable: "any" });
}

function parameters(schema: z.ZodType | undefined, where: "path" | "query"): unknown[] {
  if (!schema) return [];
  const json = jsonSchema(schema, "input") as { properties?: Record<string, unknown>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, property]) => ({
    name,
    in: where,
    required: where === "path" || (json.required ?? []).includes(name),
    schema: property,
  }));
}
