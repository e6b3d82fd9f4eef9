import type { Db } from "../db/database.ts";
import type { EventLog } from "../events/event-log.ts";
import type { Module } from "../platform/module.ts";
import type { Clock } from "../shared/clock.ts";
import { authProtocol } from "./auth.protocol.ts";
import type { ExternalUsers, SessionIssuer, TimedGrantSource } from "./caller.ts";
import { IdentityAuthenticator, noTimedGrants } from "./identity-authenticator.ts";
import { identityMigration } from "./identity.migration.ts";
import { sessionEndingsMigration } from "./session-endings.migration.ts";
import { identityRoutes } from "./identity.routes.ts";
import { IdentityService } from "./identity.service.ts";
import { IdentityStore } from "./identity.store.ts";
import type { LoginThrottle } from "./login-throttle.ts";
import type { Argon2Params } from "./password.ts";
import type { SessionTimeouts } from "./session-policy.ts";
import { type SessionDeps, SessionService } from "./session.service.ts";
import { TokenService } from "./token.service.ts";

/** Migrations identity registers (name and order as released). */
export const accessMigrations = { "0007_identities": identityMigration, "0024_session_endings": sessionEndingsMigration };

/** Tables identity writes without an event, each with why (src/platform/migrations.ts lists them). */
export const accessEventlessTables = {
  token_last_use: "bookkeeping: when and from where each token was last used, written on every request (an event each would flood the log)",
  session_last_seen: "bookkeeping: a session's last request, for the idle timeout, written on every request",
};

export interface AccessDeps {
  db: Db;
  events: EventLog;
  clock: Clock;
  /** The data dir's credentials token (the local root), once `rampart up` has written it. */
  localToken: () => string;
  /** Just-in-time grants; read late, so the access-request module may be created after this one. */
  timedGrants?: () => TimedGrantSource;
  sessionTimeouts?: SessionTimeouts;
  throttle?: LoginThrottle;
  argon2?: Argon2Params;
  verifyPassword?: SessionDeps["verify"];
}

export interface Access extends Module {
  authenticator: IdentityAuthenticator;
  users: IdentityService;
  tokens: TokenService;
  sessions: SessionService;
  /** For OpenID Connect logins. */
  sessionIssuer: SessionIssuer;
  externalUsers: ExternalUsers;
}

/** Users, roles, tokens and sessions: the Authenticator the API asks who is calling. */
export function createAccess(deps: AccessDeps): Access {
  const store = new IdentityStore(deps.db);
  const users = new IdentityService({ store, events: deps.events, clock: deps.clock });
  const tokens = new TokenService({ store, events: deps.events, clock: deps.clock });
  const sessions = new SessionService({
    store,
    events: deps.events,
    clock: deps.clock,
    timeouts: deps.sessionTimeouts,
    throttle: deps.throttle,
    argon2: deps.argon2,
    verify: deps.verifyPassword,
  });
  const authenticator = new IdentityAuthenticator({
    localToken: deps.localToken,
    store,
    sessions,
    timed: deps.timedGrants ?? (() => noTimedGrants),
    clock: deps.clock,
  });
  return {
    name: "access",
    authenticator,
    users,
    tokens,
    sessions,
    sessionIssuer: sessions,
    externalUsers: users,
    routes: identityRoutes(users, tokens),
    protocols: [authProtocol({ sessions, authenticator, tokens })],
  };
}
