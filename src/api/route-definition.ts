import type { z } from "zod";
import type { Permission } from "../access/permissions.ts";

export type HttpMethod = "GET" | "POST" | "PUT" | "DELETE";

export interface RequestContext<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  /** Who is calling: a user name, `svc:NAME` for a service token, `local` for the credentials file (src/access/caller.ts). */
  actor: string;
}

/**
 * A route's own check of the Authorization header (e.g. a per-environment SDK token): returns the actor
 * it names, or throws a RampartError with status 401/403.
 */
export type RouteAuthorizer = (authorization: string | undefined) => string | Promise<string>;
export type RouteAuth = boolean | RouteAuthorizer;

/**
 * One route of the control-plane API. The same zod schemas validate the request, type the handler and
 * the client, and generate the OpenAPI document, so the three cannot drift apart.
 */
export interface RouteDefinition<
  P extends z.ZodType = z.ZodType,
  Q extends z.ZodType = z.ZodType,
  B extends z.ZodType = z.ZodType,
  R extends z.ZodType = z.ZodType,
> {
  method: HttpMethod;
  /** Fastify syntax: /api/v1/envs/:env/apps/:app/releases */
  path: string;
  summary: string;
  tag: string;
  /** false only for the health route; a function for routes with their own tokens (SDK, OTLP ingest). */
  auth?: RouteAuth;
  /**
   * What the caller must be allowed to do (src/access/permissions.ts). The environment it is checked in is the
   * route's `:env` parameter (or the body's `env`); without one it is checked against grants in every
   * environment. Listed in the OpenAPI document as `x-rampart-permission`. Routes with `auth: false` or their own
   * authorizer need none.
   */
  permission?: Permission;
  /** 200 unless set (201 for creations, 202 for accepted long-running work). */
  status?: number;
  params?: P;
  query?: Q;
  body?: B;
  response: R;
  handler: (ctx: RequestContext<z.infer<P>, z.infer<Q>, z.infer<B>>) => Promise<z.infer<R>>;
}

/** Keeps the schema-derived types of each route while collecting routes of different shapes in one list. */
export function defineRoute<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType, R extends z.ZodType>(
  route: RouteDefinition<P, Q, B, R>,
): RouteDefinition {
  return route as unknown as RouteDefinition;
}
