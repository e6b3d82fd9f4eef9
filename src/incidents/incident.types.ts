import { z } from "zod";

/** SEV-1 is the worst. When in doubt about the severity, assume the higher level (the lower number). */
export const severities = [1, 2, 3, 4] as const;
export const severitySchema = z.number().int().min(1).max(4);
export type IncidentSeverity = (typeof severities)[number];

export const severityMeaning: Record<IncidentSeverity, string> = {
  1: "critical: the app is down or losing data for most users; page the on-call and the incident commander at once, any hour",
  2: "major: a core feature is failing or badly degraded for many users; page the on-call at once, any hour",
  3: "minor: degraded for some users, a workaround exists; the on-call handles it in working hours",
  4: "low: cosmetic or no user impact yet; a ticket, nobody is paged",
};

/** The order an incident moves in; resolved is the end. Moving back (monitoring → investigating) is allowed. */
export const incidentStatuses = ["investigating", "identified", "monitoring", "resolved"] as const;
export const incidentStatusSchema = z.enum(incidentStatuses);
export type IncidentStatus = z.infer<typeof incidentStatusSchema>;

export const incidentRoles = ["commander", "scribe", "communications", "sme"] as const;
export const incidentRoleSchema = z.enum(incidentRoles);
export type IncidentRole = z.infer<typeof incidentRoleSchema>;

export const roleAssignmentsSchema = z.object({
  commander: z.string().nullable(),
  scribe: z.string().nullable(),
  communications: z.string().nullable(),
  sme: z.array(z.string()).describe("subject matter experts"),
});
export type RoleAssignments = z.infer<typeof roleAssignmentsSchema>;

export const suspectChangeSchema = z.object({
  eventId: z.number().int(),
  type: z.string(),
  at: z.number().int(),
  env: z.string().nullable(),
  app: z.string().nullable(),
  release: z.number().int().nullable(),
  message: z.string(),
  evidence: z.array(z.string()),
});
export type SuspectChange = z.infer<typeof suspectChangeSchema>;

export const incidentMeasuresSchema = z.object({
  mttdMs: z.number().nullable().describe("impact started → detected"),
  mttaMs: z.number().nullable().describe("detected → acknowledged"),
  mttmMs: z.number().nullable().describe("impact started → mitigated"),
  mttrMs: z.number().nullable().describe("impact started → resolved"),
});
export type IncidentMeasures = z.infer<typeof incidentMeasuresSchema>;

export const incidentViewSchema = z.object({
  id: z.number().int(),
  title: z.string(),
  severity: severitySchema,
  status: incidentStatusSchema,
  env: z.string().nullable(),
  app: z.string().nullable(),
  openedAt: z.number().int(),
  openedBy: z.string(),
  roles: roleAssignmentsSchema,
  alerts: z.array(z.string()).describe("fingerprints of the alerts that opened or joined it"),
  timestamps: z.object({
    impactStarted: z.number().nullable(),
    detected: z.number(),
    acknowledged: z.number().nullable(),
    mitigated: z.number().nullable(),
    resolved: z.number().nullable(),
  }),
  measures: incidentMeasuresSchema,
  suspect: suspectChangeSchema.nullable(),
  postmortem: z.enum(["not required", "owed", "written"]),
});
export type IncidentView = z.infer<typeof incidentViewSchema>;

export const timelineKinds = [
  "deploy",
  "rollout",
  "flag",
  "alert",
  "check",
  "access",
  "secret",
  "instance",
  "incident",
  "impact",
  "other",
] as const;
export const timelineEntrySchema = z.object({
  at: z.number().int(),
  kind: z.enum(timelineKinds),
  type: z.string(),
  eventId: z.number().int().nullable().describe("null for entries measured rather than logged (impact start)"),
  env: z.string().nullable(),
  app: z.string().nullable(),
  release: z.number().int().nullable(),
  actor: z.string(),
  message: z.string(),
});
export type TimelineEntry = z.infer<typeof timelineEntrySchema>;

export const proposalSchema = z.object({
  eventId: z.number().int(),
  at: z.number().int(),
  env: z.string().nullable(),
  app: z.string().nullable(),
  release: z.number().int().nullable(),
  message: z.string(),
});
export type IncidentProposal = z.infer<typeof proposalSchema>;

export const actionItemSchema = z.object({
  text: z.string().min(1),
  owner: z.string().min(1),
  due: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "a date: YYYY-MM-DD"),
  done: z.boolean().default(false),
});
export type ActionItem = z.infer<typeof actionItemSchema>;

/** What people write over the draft; every field left out keeps the generated text. */
export const postmortemEditSchema = z.strictObject({
  summary: z.string().optional(),
  trigger: z.string().optional(),
  detection: z.string().optional(),
  response: z.string().optional(),
  recovery: z.string().optional(),
  wentWell: z.array(z.string()).optional(),
  wentBadly: z.array(z.string()).optional(),
  actionItems: z.array(actionItemSchema).optional(),
  written: z.boolean().optional().describe("true once the team considers it done: it is no longer owed"),
});
export type PostmortemEdit = z.infer<typeof postmortemEditSchema>;

/**
 * An edit as sent to the API: with the `editedAt` it was made on, a save over someone else's newer one is refused
 * (409 postmortem_changed) instead of silently replacing their text. Left out, the edit is written as before.
 */
export const postmortemEditRequestSchema = postmortemEditSchema.extend({
  ifEditedAt: z
    .number()
    .int()
    .nullable()
    .optional()
    .describe("the postmortem's editedAt when the edit began (null: the untouched draft); 409 postmortem_changed if it moved since"),
});
export type PostmortemEditRequest = z.infer<typeof postmortemEditRequestSchema>;

export const impactSchema = z.object({
  startedAt: z.number().nullable(),
  endedAt: z.number().nullable(),
  durationMs: z.number().nullable(),
  failedRequests: z.number().int(),
  totalRequests: z.number().int(),
  failedShare: z.number().nullable().describe("failed / total requests of the app during the impact"),
  distinctUsers: z
    .number()
    .int()
    .nullable()
    .describe(
      "distinct users with a failed request during the impact, by their sticky key (the manifest's cookie or header, else the edge's rampart_sticky cookie), counted per minute; null when no impact was measured",
    ),
  basis: z.string(),
});
export type Impact = z.infer<typeof impactSchema>;

export const postmortemSchema = z.object({
  incidentId: z.number().int(),
  title: z.string(),
  required: z.boolean(),
  requiredBecause: z.array(z.string()),
  state: z.enum(["not required", "owed", "written"]),
  summary: z.string(),
  impact: impactSchema,
  trigger: z.string(),
  detection: z.string(),
  response: z.string(),
  recovery: z.string(),
  timeline: z.array(timelineEntrySchema),
  wentWell: z.array(z.string()),
  wentBadly: z.array(z.string()),
  actionItems: z.array(actionItemSchema),
  measures: incidentMeasuresSchema,
  editedBy: z.string().nullable(),
  editedAt: z.number().nullable(),
});
export type Postmortem = z.infer<typeof postmortemSchema>;
