import { z } from "zod";
import { defineRoute, type RouteDefinition } from "../api/route-definition.ts";
import type { AccessRequestService } from "./access-request.service.ts";
import { accessRequestViewSchema, breakGlassBodySchema, requestBodySchema, reviewBodySchema } from "./access-request.types.ts";

const idParams = z.object({ id: z.coerce.number().int().positive() });
const envIdParams = z.object({ env: z.string().min(1), id: z.coerce.number().int().positive() });
const listQuery = z.strictObject({
  all: z.enum(["true", "false"]).optional().describe("every request (approvers only); default: your own and those you may review"),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
});
const reviewQuery = z.strictObject({ since: z.coerce.number().int().optional().describe("epoch ms") });
const list = z.object({ requests: z.array(accessRequestViewSchema) });

/**
 * Just-in-time access. Asking needs only to be someone (`read` in any environment: asking for production must not
 * need a role there already); approving needs access.approve in the request's environment (in the path, so it is
 * checked there) and the environment's policy, which the service checks against the caller's identity (never a
 * name in the body). Who may see or revoke a request, and who may break the glass, the service decides.
 */
export function accessRequestRoutes(service: AccessRequestService): RouteDefinition[] {
  return [
    defineRoute({
      method: "POST",
      path: "/api/v1/access/requests",
      summary: "Ask for a role in an environment for a while, with a reason; approvers named by the access policy decide",
      tag: "access",
      permission: "read",
      anyEnvironment: true,
      status: 201,
      body: requestBodySchema,
      response: accessRequestViewSchema,
      handler: ({ body, actor }) => service.request(actor, body),
    }),
    defineRoute({
      method: "GET",
      path: "/api/v1/access/requests",
      summary: "Your access requests and those waiting for your review (all=true: every one, for approvers)",
      tag: "access",
      permission: "read",
      anyEnvironment: true,
      query: listQuery,
      response: list,
      handler: async ({ query, actor }) => ({ requests: await service.list(actor, { all: query.all === "true", limit: query.limit }) }),
    }),
    defineRoute({
      method: "GET",
      path: "/api/v1/access/requests/:id",
      summary: "One access request (its requester and its approvers may read it)",
      tag: "access",
      permission: "read",
      anyEnvironment: true,
      params: idParams,
      response: accessRequestViewSchema,
      handler: ({ params, actor }) => service.get(actor, params.id),
    }),
    defineRoute({
      method: "POST",
      path: "/api/v1/envs/:env/access/requests/:id/approve",
      summary: "Approve an access request (never your own; each approval by a different person the policy names)",
      tag: "access",
      permission: "access.approve",
      params: envIdParams,
      body: reviewBodySchema,
      response: accessRequestViewSchema,
      handler: ({ params, body, actor }) => service.decide(actor, params.id, "approve", body.reason ?? "", params.env),
    }),
    defineRoute({
      method: "POST",
      path: "/api/v1/envs/:env/access/requests/:id/deny",
      summary: "Deny an access request (one denial closes it)",
      tag: "access",
      permission: "access.approve",
      params: envIdParams,
      body: reviewBodySchema,
      response: accessRequestViewSchema,
      handler: ({ params, body, actor }) => service.decide(actor, params.id, "deny", body.reason ?? "", params.env),
    }),
    defineRoute({
      method: "POST",
      path: "/api/v1/envs/:env/access/requests/:id/revoke",
      summary: "End a grant or withdraw a pending request now (its requester or an approver)",
      tag: "access",
      permission: "read",
      anyEnvironment: true,
      params: envIdParams,
      response: accessRequestViewSchema,
      handler: ({ params, actor }) => service.revoke(actor, params.id, params.env),
    }),
    defineRoute({
      method: "POST",
      path: "/api/v1/access/break-glass",
      summary: "Take the break-glass role in an environment at once, for a short time; recorded at critical level and reviewed afterwards",
      tag: "access",
      permission: "read",
      anyEnvironment: true,
      status: 201,
      body: breakGlassBodySchema,
      response: accessRequestViewSchema,
      handler: ({ body, actor }) => service.breakGlass(actor, body),
    }),
    defineRoute({
      method: "GET",
      path: "/api/v1/access/break-glass",
      summary: "Break-glass grants, newest first, for the review afterwards",
      tag: "access",
      permission: "audit.read",
      query: reviewQuery,
      response: list,
      handler: async ({ query }) => ({ requests: await service.reviewList(query.since) }),
    }),
  ];
}
