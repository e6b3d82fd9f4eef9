import { oidcFileSchema } from "./oidc.schema.ts";
import { z } from "zod";
import { expected, positiveDuration, text, wholeNumber } from "../config/fields.schema.ts";
import type { PathIssue } from "../config/manifest-error.ts";
import { didYouMean } from "../config/did-you-mean.ts";
import { type BreakGlassPolicy, defaultBreakGlassPolicy, defaultRequestPolicy, type RequestPolicy } from "./access-request.ts";
import { type Role, roles } from "./permissions.ts";

/**
 * The `access:` section of rampart.yaml: who may ask for which role where, who approves, and break-glass. Keys are
 * environments or `*` (every environment not named); an environment without an entry gets the `*` entry, and
 * without either the defaults of access-request.ts (Teleport's: 1 h pending TTL, one approval).
 */

const role = z.enum(roles, { error: expected(roles.join(", ")) });
const roleList = z.array(role, { error: expected(`a list of roles, e.g. [operator]`) });

const approversSchema = z.strictObject(
  {
    roles: roleList.optional(),
    users: z.array(text("a user name"), { error: expected("a list of user names, e.g. [alice]") }).optional(),
  },
  { error: expected("a mapping such as { roles: [admin], users: [alice] }") },
);

const requestPolicySchema = z.strictObject(
  {
    roles: roleList.min(1, { error: "name at least one role that may be requested, e.g. [operator]" }).optional(),
    approvers: approversSchema.optional(),
    approvals: wholeNumber(1, 10).optional(),
    max_duration: positiveDuration.optional(),
    pending_ttl: positiveDuration.optional(),
  },
  { error: expected("a mapping such as { roles: [operator], approvers: { roles: [admin] }, approvals: 1, max_duration: 4h }") },
);

const breakGlassSchema = z.strictObject(
  { role: role.optional(), max_duration: positiveDuration.optional() },
  { error: expected("a mapping such as { role: operator, max_duration: 30m }") },
);

export const accessFileSchema = z.strictObject(
  {
    requests: z.record(z.string(), requestPolicySchema, { error: expected("a mapping of environment (or *): policy") }).optional(),
    break_glass: breakGlassSchema.optional(),
    oidc: oidcFileSchema.optional(),
  },
  { error: expected("a mapping such as { requests: { production: { approvals: 2 } }, break_glass: { max_duration: 30m } }") },
);

export type AccessFile = z.output<typeof accessFileSchema>;

/** The resolved policy: one entry per environment named (and `*`), defaults applied. */
export interface AccessPolicy {
  requests: Record<string, RequestPolicy>;
  breakGlass: BreakGlassPolicy;
}

export const defaultAccessPolicy: AccessPolicy = { requests: {}, breakGlass: defaultBreakGlassPolicy };

export function resolveAccessPolicy(file: AccessFile | undefined): AccessPolicy {
  const requests: Record<string, RequestPolicy> = {};
  for (const [env, p] of Object.entries(file?.requests ?? {})) {
    const d = defaultRequestPolicy;
    requests[env] = {
      roles: p.roles ?? d.roles,
      // Naming only users means only those users; naming nothing keeps the default roles.
      approverRoles: p.approvers ? (p.approvers.roles ?? []) : d.approverRoles,
      approverUsers: p.approvers?.users ?? d.approverUsers,
      approvals: p.approvals ?? d.approvals,
      maxDurationMs: p.max_duration ?? d.maxDurationMs,
      pendingTtlMs: p.pending_ttl ?? d.pendingTtlMs,
    };
  }
  const breakGlass = {
    role: file?.break_glass?.role ?? defaultBreakGlassPolicy.role,
    maxDurationMs: file?.break_glass?.max_duration ?? defaultBreakGlassPolicy.maxDurationMs,
  };
  return { requests, breakGlass };
}

/** The policy for requests in `env`: its own entry, else `*`, else the defaults. */
export function requestPolicyFor(policy: AccessPolicy, env: string): RequestPolicy {
  return (Object.hasOwn(policy.requests, env) ? policy.requests[env] : policy.requests["*"]) ?? defaultRequestPolicy;
}

/** Roles at or above `role` for break-glass's "standing developer or above" (deployer is CI's role, not above it). */
export const breakGlassStandingRoles: readonly Role[] = ["developer", "operator", "admin"];

type Raw = Record<string, unknown>;

function asObject(value: unknown): Raw | undefined {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Raw) : undefined;
}

/** Entries under access.requests must name a declared environment or `*`; approvals must be reachable. */
export function checkAccessPolicy(raw: Raw): PathIssue[] {
  const declared = Object.keys(asObject(raw.environments) ?? {});
  const requests = asObject(asObject(raw.access)?.requests) ?? {};
  const issues: PathIssue[] = [];
  for (const [env, value] of Object.entries(requests)) {
    if (env !== "*" && !declared.includes(env)) {
      const suggestion = didYouMean(env, declared);
      const hint =
        suggestion === undefined ? `declared: ${declared.join(", ") || "none"}, or * for every one` : `did you mean "${suggestion}"?`;
      issues.push({
        path: ["access", "requests", env],
        message: `environment "${env}" is not declared under environments; ${hint}`,
        at: "key",
      });
    }
    const entry = asObject(value);
    const approvers = asObject(entry?.approvers);
    const approvals = entry?.approvals;
    const users = Array.isArray(approvers?.users) ? approvers.users.length : 0;
    const rolesNamed = Array.isArray(approvers?.roles) ? approvers.roles.length : 0;
    if (approvers !== undefined && rolesNamed === 0 && users === 0)
      issues.push({
        path: ["access", "requests", env, "approvers"],
        message: "name at least one approver role or user, e.g. { roles: [admin] }",
      });
    else if (typeof approvals === "number" && rolesNamed === 0 && users > 0 && approvals > users)
      issues.push({
        path: ["access", "requests", env, "approvals"],
        message: `${approvals} approvals can never be reached: only ${users} approver user${users === 1 ? "" : "s"} named and no approver roles`,
      });
  }
  return issues;
}
