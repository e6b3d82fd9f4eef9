import { RampartError } from "../shared/errors.ts";
import type { Role } from "./permissions.ts";

/**
 * Just-in-time access (Teleport's access requests): someone asks for a role in an environment for a while, with a
 * reason; others allowed by the policy approve (as many as it asks) or deny; the grant then holds until its time
 * is up, or until it is revoked. Break-glass skips the approval, for a short time, and is reviewed afterwards.
 * Pure functions over a record: the service persists what they return, with its event, in one transaction.
 */
export type RequestState = "pending" | "approved" | "denied" | "expired" | "revoked";

export interface Review {
  by: string;
  decision: "approve" | "deny";
  reason: string;
  at: number;
}

export interface AccessRequest {
  id: number;
  requester: string;
  role: Role;
  env: string;
  durationMs: number;
  reason: string;
  state: RequestState;
  createdAt: number;
  /** A request nobody answered expires (Teleport's request TTL, 1 h by default). */
  pendingUntil: number;
  reviews: Review[];
  grantedAt: number | null;
  until: number | null;
  breakGlass: boolean;
  revokedBy: string | null;
}

export interface RequestPolicy {
  /** Roles that may be asked for in this environment. */
  roles: readonly Role[];
  /** Who may approve: holders of these roles (in the environment or everywhere) and these users. */
  approverRoles: readonly Role[];
  approverUsers: readonly string[];
  /** How many distinct approvals grant the request. */
  approvals: number;
  maxDurationMs: number;
  pendingTtlMs: number;
}

export interface BreakGlassPolicy {
  role: Role;
  maxDurationMs: number;
}

export const defaultRequestPolicy: RequestPolicy = {
  roles: ["developer", "deployer", "operator", "admin"],
  approverRoles: ["operator", "admin"],
  approverUsers: [],
  approvals: 1,
  maxDurationMs: 8 * 3600_000,
  pendingTtlMs: 3600_000,
};

export const defaultBreakGlassPolicy: BreakGlassPolicy = { role: "operator", maxDurationMs: 3600_000 };

const MAX_REASON = 500;

function assertReason(reason: string): string {
  const trimmed = reason.trim();
  if (trimmed === "")
    throw new RampartError("invalid_request", "a reason is required", {
      hint: 'add --reason "what you need it for"',
      details: [{ field: "body.reason", message: "required, not only spaces" }],
    });
  if (trimmed.length > MAX_REASON)
    throw new RampartError("invalid_request", `the reason may have at most ${MAX_REASON} characters`, {
      hint: "say what you need it for in a sentence or two",
      details: [{ field: "body.reason", message: `at most ${MAX_REASON} characters` }],
    });
  return trimmed;
}

export function openRequest(
  input: { id: number; requester: string; role: Role; env: string; durationMs: number; reason: string; now: number },
  policy: RequestPolicy,
): AccessRequest {
  const reason = assertReason(input.reason);
  if (!policy.roles.includes(input.role)) {
    throw new RampartError(
      "invalid_request",
      `role ${input.role} cannot be requested in ${input.env}; the policy allows ${policy.roles.join(", ")}`,
      { hint: "see the access: section of rampart.yaml", details: [{ field: "body.role", message: `one of ${policy.roles.join(", ")}` }] },
    );
  }
  if (!(input.durationMs > 0) || input.durationMs > policy.maxDurationMs) {
    throw new RampartError(
      "invalid_request",
      `--for must be more than 0 and at most ${formatDuration(policy.maxDurationMs)} in ${input.env}`,
      {
        hint: `e.g. --for ${formatDuration(Math.min(3600_000, policy.maxDurationMs))}`,
        details: [{ field: "body.durationMs", message: `more than 0 and at most ${policy.maxDurationMs}` }],
      },
    );
  }
  return {
    id: input.id,
    requester: input.requester,
    role: input.role,
    env: input.env,
    durationMs: input.durationMs,
    reason,
    state: "pending",
    createdAt: input.now,
    pendingUntil: input.now + policy.pendingTtlMs,
    reviews: [],
    grantedAt: null,
    until: null,
    breakGlass: false,
    revokedBy: null,
  };
}

/** The state at `now`: pending and approved requests expire by themselves. */
export function stateAt(request: AccessRequest, now: number): RequestState {
  if (request.state === "pending" && now >= request.pendingUntil) return "expired";
  if (request.state === "approved" && request.until !== null && now >= request.until) return "expired";
  return request.state;
}

export function review(
  request: AccessRequest,
  input: { reviewer: string; reviewerRoles: readonly Role[]; decision: "approve" | "deny"; reason: string; now: number },
  policy: RequestPolicy,
): AccessRequest {
  const state = stateAt(request, input.now);
  if (state !== "pending")
    throw new RampartError("access_request_closed", `access request ${request.id} is ${state}, not pending`, {
      hint: "rampart access list",
    });
  if (input.reviewer === request.requester) {
    throw new RampartError("forbidden", `you cannot ${input.decision} your own access request ${request.id}`, {
      hint: "ask another approver: rampart access list shows who may",
    });
  }
  const may = policy.approverUsers.includes(input.reviewer) || input.reviewerRoles.some((r) => policy.approverRoles.includes(r));
  if (!may) {
    throw new RampartError(
      "forbidden",
      `${input.reviewer} may not review requests for ${request.role} in ${request.env}; approvers: ${approverList(policy)}`,
      {
        hint: "ask one of them",
      },
    );
  }
  if (request.reviews.some((r) => r.by === input.reviewer))
    throw new RampartError("access_request_closed", `${input.reviewer} already reviewed access request ${request.id}`);
  const reviews = [...request.reviews, { by: input.reviewer, decision: input.decision, reason: input.reason.trim(), at: input.now }];
  if (input.decision === "deny") return { ...request, reviews, state: "denied" };
  const approvals = reviews.filter((r) => r.decision === "approve").length;
  if (approvals < policy.approvals) return { ...request, reviews };
  return { ...request, reviews, state: "approved", grantedAt: input.now, until: input.now + request.durationMs };
}

export function revoke(request: AccessRequest, by: string, now: number): AccessRequest {
  const state = stateAt(request, now);
  if (state !== "approved" && state !== "pending")
    throw new RampartError("access_request_closed", `access request ${request.id} is ${state}: nothing to revoke`);
  return { ...request, state: "revoked", revokedBy: by, until: request.until === null ? null : Math.min(request.until, now) };
}

export function breakGlass(
  input: { id: number; requester: string; env: string; reason: string; durationMs: number | null; now: number },
  policy: BreakGlassPolicy,
): AccessRequest {
  const reason = assertReason(input.reason);
  const durationMs = Math.min(input.durationMs ?? policy.maxDurationMs, policy.maxDurationMs);
  if (!(durationMs > 0))
    throw new RampartError("invalid_request", "--for must be more than 0", {
      hint: "e.g. --for 30m",
      details: [{ field: "body.durationMs", message: "more than 0" }],
    });
  return {
    id: input.id,
    requester: input.requester,
    role: policy.role,
    env: input.env,
    durationMs,
    reason,
    state: "approved",
    createdAt: input.now,
    pendingUntil: input.now,
    reviews: [],
    grantedAt: input.now,
    until: input.now + durationMs,
    breakGlass: true,
    revokedBy: null,
  };
}

function approverList(policy: RequestPolicy): string {
  return [...policy.approverRoles.map((r) => `role ${r}`), ...policy.approverUsers].join(", ") || "nobody";
}

function formatDuration(ms: number): string {
  if (ms % 3600_000 === 0) return `${ms / 3600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  return `${Math.ceil(ms / 1000)}s`;
}
