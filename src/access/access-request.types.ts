import { z } from "zod";
import type { AccessRequest } from "./access-request.ts";
import { roles } from "./permissions.ts";

const reviewSchema = z.object({ by: z.string(), decision: z.enum(["approve", "deny"]), reason: z.string(), at: z.number() });

/** An access request as stored and as the API shows it (`state` is the state at the time of the answer). */
export const accessRequestSchema = z.object({
  id: z.number().int(),
  requester: z.string(),
  role: z.enum(roles),
  env: z.string(),
  durationMs: z.number(),
  reason: z.string(),
  state: z.enum(["pending", "approved", "denied", "expired", "revoked"]),
  createdAt: z.number().describe("epoch ms"),
  pendingUntil: z.number().describe("epoch ms: a pending request expires then"),
  reviews: z.array(reviewSchema),
  grantedAt: z.number().nullable(),
  until: z.number().nullable().describe("epoch ms: the grant ends then (null until approved)"),
  breakGlass: z.boolean(),
  revokedBy: z.string().nullable(),
});

// The schema and the pure state machine's record must stay the same shape.
type SameShape<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
const _sameShape: SameShape<z.infer<typeof accessRequestSchema>, AccessRequest> = true;
void _sameShape;

export const accessRequestViewSchema = accessRequestSchema.extend({
  approvalsNeeded: z.number().int().describe("distinct approvals the policy asks for"),
});
export type AccessRequestView = z.infer<typeof accessRequestViewSchema>;

export const requestBodySchema = z.strictObject({
  role: z.enum(roles),
  env: z.string().min(1),
  durationMs: z.number().int().positive().describe("how long the grant lasts once approved"),
  reason: z.string().min(1).max(500),
});
export type RequestBody = z.infer<typeof requestBodySchema>;

export const breakGlassBodySchema = z.strictObject({
  env: z.string().min(1),
  reason: z.string().min(1).max(500),
  durationMs: z.number().int().positive().optional().describe("capped by access.break_glass.max_duration (1 h by default)"),
});
export type BreakGlassBody = z.infer<typeof breakGlassBodySchema>;

export const reviewBodySchema = z.strictObject({ reason: z.string().max(500).optional() });
