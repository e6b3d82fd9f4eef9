import { z } from "zod";
import { defineRoute, type RouteDefinition } from "../api/route-definition.ts";
import type { IdentityService } from "./identity.service.ts";
import {
  addUserBodySchema,
  createdTokenSchema,
  createTokenBodySchema,
  grantBodySchema,
  grantViewSchema,
  tokenViewSchema,
  updateUserBodySchema,
  userNameSchema,
  userViewSchema,
} from "./identity.types.ts";
import type { TokenService } from "./token.service.ts";

const grantsResponse = z.object({ grants: z.array(grantViewSchema) });

/** Users, standing roles and tokens: all of it is `users.manage` (admins; the local credentials file). */
export function identityRoutes(users: IdentityService, tokens: TokenService): RouteDefinition[] {
  const tag = "access";
  const permission = "users.manage" as const;
  return [
    defineRoute({
      method: "GET",
      path: "/api/v1/users",
      summary: "Every user with their standing roles",
      tag,
      permission,
      response: z.object({ users: z.array(userViewSchema) }),
      handler: async () => ({ users: await users.list() }),
    }),
    defineRoute({
      method: "POST",
      path: "/api/v1/users",
      summary: "Add a user (with a password, or none for OpenID Connect logins)",
      tag,
      permission,
      status: 201,
      body: addUserBodySchema,
      response: userViewSchema,
      handler: ({ body, actor }) => users.add(body, actor),
    }),
    defineRoute({
      method: "PUT",
      path: "/api/v1/users/:name",
      summary: "Change a user's e-mail or password (a password change ends their sessions)",
      tag,
      permission,
      params: z.object({ name: userNameSchema }),
      body: updateUserBodySchema,
      response: userViewSchema,
      handler: ({ params, body, actor }) => users.update(params.name, body, actor),
    }),
    defineRoute({
      method: "DELETE",
      path: "/api/v1/users/:name",
      summary: "Remove a user: their roles go, their personal tokens are revoked, their sessions end",
      tag,
      permission,
      params: z.object({ name: userNameSchema }),
      response: z.object({ removed: z.string() }),
      handler: async ({ params, actor }) => {
        await users.remove(params.name, actor);
        return { removed: params.name };
      },
    }),
    defineRoute({
      method: "GET",
      path: "/api/v1/roles",
      summary: "Every standing role grant, of users and service tokens",
      tag,
      permission,
      response: grantsResponse,
      handler: async () => ({ grants: await users.grants() }),
    }),
    defineRoute({
      method: "POST",
      path: "/api/v1/roles",
      summary: "Grant a user a role in an environment (or * for every one); the user's sessions end",
      tag,
      permission,
      body: grantBodySchema,
      response: grantsResponse,
      handler: async ({ body, actor }) => ({ grants: await users.grant(body.user, { role: body.role, env: body.env }, actor) }),
    }),
    defineRoute({
      method: "POST",
      path: "/api/v1/roles/revoke",
      summary: "Take a role in an environment away from a user; the user's sessions end",
      tag,
      permission,
      body: grantBodySchema,
      response: grantsResponse,
      handler: async ({ body, actor }) => ({ grants: await users.revoke(body.user, { role: body.role, env: body.env }, actor) }),
    }),
    defineRoute({
      method: "GET",
      path: "/api/v1/tokens",
      summary: "Every personal and service token (never the secret), with its last use",
      tag,
      permission,
      response: z.object({ tokens: z.array(tokenViewSchema) }),
      handler: async () => ({ tokens: await tokens.list() }),
    }),
    defineRoute({
      method: "POST",
      path: "/api/v1/tokens",
      summary: "Create a personal token (user) or a service token (grants, apps); the secret is in this answer only",
      tag,
      permission,
      status: 201,
      body: createTokenBodySchema,
      response: createdTokenSchema,
      handler: ({ body, actor }) => tokens.create(body, actor),
    }),
    defineRoute({
      method: "DELETE",
      path: "/api/v1/tokens/:id",
      summary: "Revoke a token: it is refused from the next request on",
      tag,
      permission,
      params: z.object({ id: z.coerce.number().int().positive() }),
      response: tokenViewSchema,
      handler: ({ params, actor }) => tokens.revoke(params.id, actor),
    }),
  ];
}
