import type { z } from "zod";
import type { Permission } from "../access/permissions.ts";

export type HttpMethod = "GET" | "POST" | "PUT" | "DELETE";

export interface RequestContext<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  /** Who is calling: a person's name, `svc:NAME` for a service token, `local` for the credentials file. */
  actor: string;
  /**
   * Whether the caller holds `permission` in `env` now (just-in-time grants and protection included), decided as
   * the gate decides (env null: in every environment): for routes declared `filtered`, which answer only with the
   * environments the caller may see.
   * Always false for routes without a caller (`auth: false`, own tokens).
   */
  may: (permission: Permission, env: string | null) => boolean;
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
   * route's `:env` parameter (or the body's `env`, or the query's `env`, which then must limit what the route
   * shows to that environment); without one it is checked against grants in every
   * environment. Listed in the OpenAPI document as `x-rampart-permission`. Routes with `auth: false` or their own
   * authorizer need none.
   */
  permission?: Permission;
  /**
   * The permission counts when held in any environment (just-in-time access: asking for a role in production
   * must not need a role there already). The route's handler then checks what it must itself.
   */
  anyEnvironment?: boolean;
  /**
   * The route names no environment, and instead of needing the permission in every environment it needs it in at
   * least one and answers with only the environments where the caller holds it (the handler filters with
   * `ctx.may`): a staging-only developer's `status` and console home. 403 only when it is held nowhere. When the
   * request names an environment after all (an `env` query), the permission is checked there as usual.
   */
  filtered?: boolean;
  /**
   * The body field naming the environment the permission is checked in, when it is not `:env` or the body's
   * `env` (a promotion deploys to its `to`).
   */
  permissionEnvField?: string;
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
