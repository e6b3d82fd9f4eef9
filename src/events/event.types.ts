import { z } from "zod";

/** Every state change Rampart makes is one of these, appended to the one event log. */
export const eventTypes = [
  "platform.started",
  "platform.stopping",
  "environment.stopping",
  "edge.started",
  "edge.adopted",
  "edge.table_rejected",
  "edge.listening",
  "traffic.changed",
  "artifact.created",
  "artifact.reused",
  "artifact.build_started",
  "artifact.built",
  "artifact.build_failed",
  "artifact.collected",
  "release.created",
  "release.deploying",
  "release.live",
  "release.failed",
  "release.superseded",
  "release.rolled_back",
  "release.promoted",
  "rollout.started",
  "rollout.step",
  "rollout.completed",
  "rollout.failed",
  "rollout.recovered",
  "rollout.paused",
  "rollout.resumed",
  "rollout.promoted",
  "rollout.aborted",
  "rollout.analysis",
  "rollout.rolled_back",
  "instance.created",
  "instance.started",
  "instance.healthy",
  "instance.unhealthy",
  "instance.crashed",
  "instance.restarted",
  "instance.crash_loop",
  "instance.adopted",
  "instance.lost",
  "instance.draining",
  "instance.stopped",
  "flag.created",
  "flag.changed",
  "flag.killed",
  "flag.segment_changed",
  "flag.token_created",
  "flag.rollout.started",
  "flag.rollout.step",
  "flag.rollout.paused",
  "flag.rollout.resumed",
  "flag.rollout.completed",
  "flag.rollout.failed",
  "flag.rollout.stopped",
  "flag.approval.requested",
  "flag.approval.approved",
  "flag.approval.rejected",
  "access.requested",
  "access.approved",
  "access.denied",
  "access.granted",
  "access.expired",
  "access.revoked",
  "access.break_glass",
  "audit.request",
  "secret.set",
  "secret.unset",
  "secret.revealed",
  "secrets.key_rotated",
  "db.query",
  // identity (issue 12): never a secret, hash or password in their data
  "user.added",
  "user.updated",
  "user.removed",
  "role.granted",
  "role.revoked",
  "token.created",
  "token.revoked",
  "session.started",
  "session.ended",
  // alerts (src/alerts): rule evaluation
  "alert.pending",
  "alert.firing",
  "alert.resolved",
  "alert.rule_changed",
  "alert.rule_deleted",
  "silence.created",
  "silence.expired",
  "check.failed",
  "check.recovered",
  // incidents (src/incidents)
  "incident.opened",
  "incident.status_changed",
  "incident.role_assigned",
  "incident.note",
  "incident.alert_joined",
  "incident.proposed",
  "postmortem.edited",
  "postmortem.action_done",
  // on-call (src/oncall): overrides, pages, escalation levels, acknowledgements
  "oncall.override_created",
  "oncall.override_removed",
  "oncall.paged",
  "oncall.escalated",
  "oncall.ended",
  "alert.acknowledged",
  "oncall.link_used",
  // Issue 20 (backups): an online backup taken, or one that failed (src/backup).
  "backup.created",
  "backup.failed",
  // Issue 20 (load tests): a run's result (data = the result), and a run against a protected environment allowed.
  "loadtest.completed",
  "loadtest.allowed",
  // Issue 20 (readiness): the first deploy to a protected environment let through (data: the checks, any override), and an override given.
  "readiness.passed",
  "readiness.overridden",
  // Issue 20 (rollback drills, plan/apply): a drill started and finished (src/rollback-drills); rampart apply (src/plan).
  "drill.rollback_started",
  "drill.rollback_finished",
  "manifest.applied",
  // Issue 21 (experiments): the weekly report of a running experiment (data.markdown).
  "flag.experiment.report",
  "apikey.created",
  "apikey.revoked",
] as const;

export const eventTypeSchema = z.enum(eventTypes);
export type EventType = z.infer<typeof eventTypeSchema>;

export const eventSchema = z.object({
  id: z.number().int(),
  at: z.number().int().describe("epoch milliseconds"),
  type: eventTypeSchema,
  env: z.string().nullable(),
  app: z.string().nullable(),
  release: z.number().int().nullable(),
  instance: z.string().nullable(),
  actor: z.string().describe("who caused it: a user name, or 'rampart' for the platform itself"),
  message: z.string(),
  data: z.record(z.string(), z.unknown()),
});
export type RampartEvent = z.infer<typeof eventSchema>;

export interface NewEvent {
  type: EventType;
  message: string;
  env?: string;
  app?: string;
  release?: number;
  instance?: string;
  actor?: string;
  data?: Record<string, unknown>;
}

export const eventQuerySchema = z.object({
  since: z.number().int().optional().describe("epoch ms: only events at or after"),
  afterId: z.number().int().optional().describe("only events with a greater id (for paging and resuming a stream)"),
  beforeId: z.number().int().optional().describe("only events with a smaller id (for paging back)"),
  env: z.string().optional(),
  app: z.string().optional(),
  type: z.string().optional().describe("an event type, or a prefix ending in '.', e.g. 'release.'"),
  limit: z.number().int().min(1).max(10_000).default(500),
});
export type EventQuery = z.infer<typeof eventQuerySchema>;
