import { z } from "zod";
import { defineRoute, type RouteDefinition } from "../api/route-definition.ts";
import { MAX_WINDOW_MS, parseDuration } from "../config/units.ts";
import { eventSchema } from "../events/event.types.ts";
import type { DoraReport } from "./dora.ts";
import type { IncidentService } from "./incident.service.ts";
import {
  incidentRoleSchema,
  incidentStatusSchema,
  incidentViewSchema,
  postmortemEditRequestSchema,
  postmortemSchema,
  proposalSchema,
  severitySchema,
  timelineEntrySchema,
} from "./incident.types.ts";

const idParams = z.strictObject({ id: z.coerce.number().int().positive().max(2_147_483_647) });
const name = z.string().min(1).max(200);
const levelSchema = z.enum(["elite", "high", "medium", "low"]);

const doraReportSchema: z.ZodType<DoraReport> = z.object({
  standard: z.literal("DORA 2024 performance clusters"),
  env: z.string(),
  app: z.string().nullable(),
  since: z.number(),
  until: z.number(),
  deployments: z.number(),
  deploymentFrequency: z.object({ perDay: z.number(), level: levelSchema }),
  leadTime: z.object({
    medianMs: z.number().nullable(),
    samples: z.number(),
    withoutCommitTime: z.number(),
    level: levelSchema.nullable(),
  }),
  changeFailureRate: z.object({ failed: z.number(), deployments: z.number(), ratio: z.number().nullable(), level: levelSchema.nullable() }),
  recoveryTime: z.object({ medianMs: z.number().nullable(), samples: z.number(), unrecovered: z.number(), level: levelSchema.nullable() }),
  failures: z.array(
    z.object({
      app: z.string(),
      release: z.number(),
      reason: z.enum(["rolled_back", "rollback_release", "incident"]),
      failedAt: z.number(),
      recoveredAt: z.number().nullable(),
    }),
  ),
  incidents: z.object({ count: z.number(), mttdMs: z.number().nullable(), mttaMs: z.number().nullable(), mttrMs: z.number().nullable() }),
});

const sinceSchema = z
  .string()
  .default("90d")
  .transform((value, ctx) => {
    const parsed = parseDuration(value, { maxMs: MAX_WINDOW_MS });
    if (parsed.ok) return parsed.value;
    ctx.addIssue({ code: "custom", message: `${parsed.message} (a look-back such as 30d or 90d)` });
    return z.NEVER;
  });

/** Incident writes use rollout.steer: the people who may pause or abort a rollout are the ones who respond to incidents. */
export function incidentRoutes(service: IncidentService): RouteDefinition[] {
  return [
    defineRoute({
      method: "GET",
      path: "/api/v1/incidents",
      summary: "Incidents, newest first, and proposals (automatic rollbacks nobody opened an incident for yet)",
      tag: "incidents",
      permission: "read",
      query: z.strictObject({
        status: z.enum(["open", "resolved", "all"]).default("all"),
        env: z.string().optional(),
        app: z.string().optional(),
      }),
      response: z.object({ incidents: z.array(incidentViewSchema), proposals: z.array(proposalSchema) }),
      handler: async ({ query }) => ({
        incidents: await service.list({
          open: query.status === "all" ? undefined : query.status === "open",
          env: query.env,
          app: query.app,
        }),
        proposals: await service.proposals(),
      }),
    }),
    defineRoute({
      method: "POST",
      path: "/api/v1/incidents",
      summary: "Open an incident (SEV-1 worst … SEV-4); when in doubt, the higher severity",
      tag: "incidents",
      permission: "rollout.steer",
      status: 201,
      body: z.strictObject({ title: name, severity: severitySchema, env: name.optional(), app: name.optional() }),
      response: incidentViewSchema,
      handler: ({ body, actor }) =>
        service.open({ title: body.title, severity: body.severity as 1 | 2 | 3 | 4, env: body.env, app: body.app }, actor),
    }),
    defineRoute({
      method: "GET",
      path: "/api/v1/incidents/:id",
      summary: "An incident with its typed timestamps, MTTD/MTTA/MTTR, suspect change and postmortem state",
      tag: "incidents",
      permission: "read",
      params: idParams,
      response: incidentViewSchema,
      handler: ({ params }) => service.view(params.id),
    }),
    defineRoute({
      method: "GET",
      path: "/api/v1/incidents/:id/timeline",
      summary: "The incident's timeline: the events about its environment and app around it, and the measured impact start",
      tag: "incidents",
      permission: "read",
      params: idParams,
      response: z.object({ timeline: z.array(timelineEntrySchema) }),
      handler: async ({ params }) => ({ timeline: await service.timeline(params.id) }),
    }),
    defineRoute({
      method: "POST",
      path: "/api/v1/incidents/:id/status",
      summary: "Move an incident: investigating → identified → monitoring → resolved",
      tag: "incidents",
      permission: "rollout.steer",
      params: idParams,
      body: z.strictObject({ status: incidentStatusSchema, message: z.string().max(2000).optional() }),
      response: incidentViewSchema,
      handler: ({ params, body, actor }) => service.setStatus(params.id, body.status, actor, body.message),
    }),
    defineRoute({
      method: "POST",
      path: "/api/v1/incidents/:id/roles",
      summary: "Assign a role: commander, scribe, communications, or add a subject matter expert (sme)",
      tag: "incidents",
      permission: "rollout.steer",
      params: idParams,
      body: z.strictObject({ role: incidentRoleSchema, person: name }),
      response: incidentViewSchema,
      handler: ({ params, body, actor }) => service.assignRole(params.id, body.role, body.person, actor),
    }),
    defineRoute({
      method: "POST",
      path: "/api/v1/incidents/:id/notes",
      summary: "Add a note or update to the incident's timeline",
      tag: "incidents",
      permission: "rollout.steer",
      status: 201,
      params: idParams,
      body: z.strictObject({ text: z.string().min(1).max(10_000) }),
      response: eventSchema,
      handler: ({ params, body, actor }) => service.note(params.id, body.text, actor),
    }),
    defineRoute({
      method: "GET",
      path: "/api/v1/incidents/:id/postmortem",
      summary: "The blameless postmortem: the draft generated from the timeline and measurements, with the edits written over it",
      tag: "incidents",
      permission: "read",
      params: idParams,
      response: postmortemSchema,
      handler: ({ params }) => service.postmortem(params.id),
    }),
    defineRoute({
      method: "PUT",
      path: "/api/v1/incidents/:id/postmortem",
      summary:
        "Write over the postmortem draft: each field given replaces the saved one; written: true stops it being owed; ifEditedAt refuses a save over a newer one",
      tag: "incidents",
      permission: "rollout.steer",
      params: idParams,
      body: postmortemEditRequestSchema,
      response: postmortemSchema,
      handler: ({ params, body: { ifEditedAt, ...edit }, actor }) => service.editPostmortem(params.id, edit, actor, ifEditedAt),
    }),
    defineRoute({
      method: "POST",
      path: "/api/v1/incidents/:id/postmortem/action-items/:item/done",
      summary: "Mark a postmortem action item (numbered from 1) done",
      tag: "incidents",
      permission: "rollout.steer",
      params: idParams.extend({ item: z.coerce.number().int().positive().max(10_000) }),
      response: postmortemSchema,
      handler: ({ params, actor }) => service.completeActionItem(params.id, params.item, actor),
    }),
    defineRoute({
      method: "GET",
      path: "/api/v1/dora",
      summary: "The four keys (DORA 2024 levels) of an environment, or one app in it, from the event log",
      tag: "incidents",
      permission: "read",
      query: z.strictObject({ env: name.default("production"), app: name.optional(), since: sinceSchema }),
      response: doraReportSchema,
      handler: ({ query }) => service.dora({ env: query.env, app: query.app, sinceMs: query.since }),
    }),
  ];
}
