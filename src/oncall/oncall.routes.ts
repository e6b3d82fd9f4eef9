import { z } from "zod";
import { defineRoute, type RouteDefinition } from "../api/route-definition.ts";
import { RampartError } from "../shared/errors.ts";
import type { EscalationService } from "./escalation.service.ts";
import { escalationSchema } from "./escalation.types.ts";
import type { OncallService } from "./oncall.service.ts";
import { storedOverrideSchema, whoSchema } from "./oncall.types.ts";

/** An instant as ISO 8601 with an offset (or Z), or epoch ms. */
function instant(value: string, field: string): number {
  const at = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  if (Number.isNaN(at) || (!/^\d+$/.test(value) && !/(Z|[+-]\d{2}:?\d{2})$/i.test(value)))
    throw new RampartError("invalid_request", `${field}: ${JSON.stringify(value)} is not a time with an offset`, {
      details: [{ field, message: "ISO 8601 with an offset, e.g. 2026-03-29T09:00:00+02:00, or epoch ms" }],
      hint: "e.g. rampart oncall who --at 2026-03-29T09:00:00+02:00",
    });
  return at;
}

export const createOverrideBodySchema = z.strictObject({
  schedule: z.string().min(1).describe("a schedule in rampart.yaml oncall.schedules"),
  user: z.string().min(1).describe("who stands in"),
  from: z.string().describe("ISO 8601 with an offset, e.g. 2026-03-28T18:00:00+01:00"),
  to: z.string().describe("ISO 8601 with an offset"),
  reason: z.string().optional(),
});
export type CreateOverrideBody = z.infer<typeof createOverrideBodySchema>;

export const ackBodySchema = z.strictObject({
  resolve: z.boolean().optional().describe("resolve (end the escalation) instead of acknowledging"),
});

/** Who is on call, overrides, escalations and acknowledging an alert's escalation. */
export function oncallRoutes(deps: { oncall: OncallService; escalations: EscalationService }): RouteDefinition[] {
  return [
    defineRoute({
      method: "GET",
      path: "/api/v1/oncall/who",
      summary: "Who is on call in each schedule, now or at a given time, with their shift and contact channels",
      tag: "oncall",
      permission: "read",
      query: z.strictObject({ at: z.string().optional().describe("ISO 8601 with an offset, or epoch ms; default now") }),
      response: whoSchema,
      handler: async ({ query }) => deps.oncall.who(query.at === undefined ? undefined : instant(query.at, "query.at")),
    }),
    defineRoute({
      method: "GET",
      path: "/api/v1/oncall/overrides",
      summary: "Overrides made over the API that have not ended, oldest first",
      tag: "oncall",
      permission: "read",
      response: z.object({ overrides: z.array(storedOverrideSchema) }),
      handler: async () => ({ overrides: await deps.oncall.overrides() }),
    }),
    defineRoute({
      method: "POST",
      path: "/api/v1/oncall/overrides",
      summary: "Put someone on call in a schedule for a while (oncall.override_created)",
      tag: "oncall",
      // What on-call does among themselves; no on-call-specific permission exists.
      permission: "rollout.steer",
      status: 201,
      body: createOverrideBodySchema,
      response: storedOverrideSchema,
      handler: async ({ body, actor }) =>
        deps.oncall.createOverride({ ...body, from: instant(body.from, "body.from"), to: instant(body.to, "body.to") }, actor),
    }),
    defineRoute({
      method: "POST",
      path: "/api/v1/oncall/overrides/:id/remove",
      summary: "Remove an override (oncall.override_removed)",
      tag: "oncall",
      permission: "rollout.steer",
      params: z.strictObject({ id: z.string() }),
      response: storedOverrideSchema,
      handler: async ({ params, actor }) => deps.oncall.removeOverride(params.id, actor),
    }),
    defineRoute({
      method: "GET",
      path: "/api/v1/oncall/escalations",
      summary: "Escalations paging or acknowledged (all=true: the latest 200, ended ones included)",
      tag: "oncall",
      permission: "read",
      query: z.strictObject({ all: z.enum(["true", "false"]).optional() }),
      response: z.object({ escalations: z.array(escalationSchema) }),
      handler: async ({ query }) => ({ escalations: await deps.escalations.list({ all: query.all === "true" }) }),
    }),
    defineRoute({
      method: "POST",
      path: "/api/v1/alerts/:ref/ack",
      summary: "Acknowledge (or resolve) an alert's escalation by fingerprint or alert name: paging stops (alert.acknowledged)",
      tag: "alerts",
      permission: "rollout.steer",
      params: z.strictObject({ ref: z.string().min(1) }),
      body: ackBodySchema,
      response: z.object({ escalations: z.array(escalationSchema) }),
      handler: async ({ params, body, actor }) => ({
        escalations: await deps.escalations.acknowledge(params.ref, actor, { resolve: body.resolve ?? false }),
      }),
    }),
  ];
}
