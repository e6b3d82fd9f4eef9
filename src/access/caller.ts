import type { ErrorCode } from "../shared/error-catalogue.ts";
import type { Permission, Principal, PrincipalKind, Role, RoleGrant, TimedGrant } from "./permissions.ts";

/**
 * The seams between the access pieces: the API server asks an Authenticator who is calling, decides with
 * `decide()` (permissions.ts) whether the route's permission is held, and tells a RequestAuditor about every
 * request that changes or reveals anything. Each interface has one real implementation in src/access/ and fakes
 * in tests.
 *
 * Actor strings (what events, audit records and `ctx.actor` carry): a person's name (`alice`, whether they came
 * with a session or a personal token), `svc:NAME` for a service token, `local` for the data dir's credentials
 * file, `anonymous` for unauthenticated routes.
 */
export interface Caller {
  principal: Principal;
  actor: string;
  /** How the caller proved who they are; `token` covers personal and service tokens. */
  via: "local" | "token" | "session";
}

/** What a request offers to identify its caller. */
export interface CallerCredentials {
  authorization: string | undefined;
  cookie: string | undefined;
  address: string;
  tls: boolean;
}

export interface Authenticator {
  /** Throws RampartError("unauthorized") for a missing, malformed, wrong, expired or revoked credential. */
  authenticate(credentials: CallerCredentials): Promise<Caller>;
}

/** Just-in-time grants in force (access requests approved, break-glass), read at every request. */
export interface TimedGrantSource {
  activeGrants(principal: { kind: PrincipalKind; name: string }, now: number): TimedGrant[];
  /**
   * Called when a grant ends (its time is up, or it is revoked), within 1 s of that moment, so that open streams
   * and console sessions resting on it are closed or re-checked. Returns the unsubscribe function.
   */
  onGrantEnded(listener: (ended: { name: string; role: Role; env: string; requestId: number }) => void): () => void;
}

export interface EnvironmentProtection {
  isProtected(env: string): boolean;
}

/** Console sessions and OIDC logins need sessions and users from the identity store. */
export interface SessionIssuer {
  /** A new session (new id: also on every privilege change). `token` is the bearer/cookie value, shown once. */
  startSession(user: string, how: "password" | "oidc"): Promise<{ token: string; expiresAt: number }>;
}

export interface ExternalUsers {
  /** Creates or updates a user known from an identity provider, with exactly these standing grants. */
  upsertExternalUser(user: { name: string; email: string | null; grants: RoleGrant[] }, actor: string): Promise<void>;
}

/** One request that changes or reveals something, as the audit log records it. */
export interface AuditedRequest {
  actor: string;
  address: string;
  method: string;
  /** The route's path pattern and the concrete URL path (never the query string: it may hold a secret). */
  route: string;
  path: string;
  permission: Permission | null;
  env: string | null;
  app: string | null;
}

export interface RequestAuditor {
  /**
   * Recorded before the handler runs. Throws when the record cannot be written, and the request is then refused
   * (fail-closed, as Vault's audit devices).
   */
  attempt(request: AuditedRequest): Promise<number>;
  /** The outcome of an attempt: its status, and the error code when it failed or was denied. */
  outcome(attemptId: number, result: { status: number; error: ErrorCode | null }): Promise<void>;
  /** A request refused before it was attempted (401, 403): recorded as a denial. */
  denied(request: AuditedRequest, result: { status: number; error: ErrorCode }): Promise<void>;
}
