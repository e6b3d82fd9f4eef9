import { z } from "zod";
import { defineRoute, type RouteDefinition } from "../api/route-definition.ts";
import { eventSchema } from "../events/event.types.ts";
import type { AuditService } from "./audit.service.ts";
import { verifyViewSchema } from "./audit.types.ts";

const querySchema = z.strictObject({
  since: z.coerce.number().int().optional().describe("epoch ms"),
  actor: z.string().min(1).optional().describe("a user name, svc:NAME, local or rampart"),
  type: z.string().optional().describe("an event type, or a prefix ending in '.', e.g. 'audit.'"),
  limit: z.coerce.number().int().min(1).max(10_000).default(500),
});

export function auditRoutes(audit: AuditService): RouteDefinition[] {
  return [
    defineRoute({
      method: "GET",
      path: "/api/v1/audit",
      summary: "The audit view of the event log: who did what, requests (attempts, outcomes, denials) included; oldest first",
      tag: "audit",
      permission: "audit.read",
      query: querySchema,
      response: z.object({ events: z.array(eventSchema) }),
      handler: async ({ query }) => ({ events: await audit.query(query) }),
    }),
    defineRoute({
      method: "GET",
      path: "/api/v1/audit/verify",
      summary:
        "Checks the hash chain of the whole event log against the signed checkpoints; `ok: false` names the first event changed, removed or reordered",
      tag: "audit",
      permission: "audit.read",
      response: verifyViewSchema,
      handler: () => audit.verify(),
    }),
  ];
}
