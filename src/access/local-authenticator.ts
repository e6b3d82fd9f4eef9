import { timingSafeEqual } from "node:crypto";
import { RampartError } from "../shared/errors.ts";
import { type Clock, systemClock } from "../shared/clock.ts";
import type { Authenticator, Caller, CallerCredentials, EnvironmentProtection } from "./caller.ts";
import type { Principal } from "./permissions.ts";

/** Longer than any token Rampart hands out: refused before any comparison. */
const MAX_AUTHORIZATION_LENGTH = 1024;

export const localPrincipal: Principal = { kind: "root", name: "local", grants: [], timed: [], apps: null };

/**
 * The data dir's credentials token, accepted as `local` with full access (whoever reads the data dir already holds
 * the machine). Until the identity store is wired this is the only credential; the identity Authenticator takes
 * over and keeps accepting this token.
 */
export function localTokenAuthenticator(token: string): Authenticator {
  const expected = Buffer.from(token);
  return {
    async authenticate(credentials: CallerCredentials): Promise<Caller> {
      const header = credentials.authorization ?? "";
      if (header.length > MAX_AUTHORIZATION_LENGTH || !header.startsWith("Bearer "))
        throw new RampartError("unauthorized", "missing or malformed Authorization header: expected `Bearer <token>`");
      const given = Buffer.from(header.slice(7));
      if (given.length !== expected.length || !timingSafeEqual(given, expected))
        throw new RampartError("unauthorized", "wrong bearer token");
      return { principal: localPrincipal, actor: "local", via: "local" };
    },
  };
}

/** The access options of an API server that only the credentials token may call (tests, and until identity is wired). */
export function localOnlyAccess(token: string): { authenticator: Authenticator; protection: EnvironmentProtection; clock: Clock } {
  return { authenticator: localTokenAuthenticator(token), protection: { isProtected: () => false }, clock: systemClock };
}
