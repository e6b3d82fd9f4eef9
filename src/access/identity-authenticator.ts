import { timingSafeEqual } from "node:crypto";
import type { Clock } from "../shared/clock.ts";
import { RampartError } from "../shared/errors.ts";
import type { Authenticator, Caller, CallerCredentials, TimedGrantSource } from "./caller.ts";
import type { IdentityStore } from "./identity.store.ts";
import type { PrincipalKind } from "./permissions.ts";
import { SESSION_COOKIE } from "./session-policy.ts";
import type { SessionService } from "./session.service.ts";
import { parseApps } from "./token.service.ts";
import { hashSecret, sameDigest, secretKind } from "./token-secret.ts";

/** Who called, and with what: what `whoami` shows beyond the Caller. */
export interface AuthenticatedCaller extends Caller {
  /** The token's name (or `session`), null for the credentials file. */
  credential: string | null;
  /** When the token or session ends; null when it does not. */
  expiresAt: number | null;
}

/** No just-in-time grants: what the platform has until the access-request module provides its source. */
export const noTimedGrants: TimedGrantSource = { activeGrants: () => [], onGrantEnded: () => () => undefined };

/**
 * `Authorization: Bearer …` (or the console's session cookie) → the caller. The credentials file's token is the
 * local root; `rampart_pat_…` / `rampart_svc_…` are looked up by their SHA-256; `rampart_ses_…` is a session. A
 * malformed credential is refused before any lookup, and no answer ever repeats the value it was given.
 */
export class IdentityAuthenticator implements Authenticator {
  readonly #localToken: () => string;
  readonly #store: IdentityStore;
  readonly #sessions: SessionService;
  readonly #timed: () => TimedGrantSource;
  readonly #clock: Clock;

  constructor(deps: {
    localToken: () => string;
    store: IdentityStore;
    sessions: SessionService;
    timed: () => TimedGrantSource;
    clock: Clock;
  }) {
    this.#localToken = deps.localToken;
    this.#store = deps.store;
    this.#sessions = deps.sessions;
    this.#timed = deps.timed;
    this.#clock = deps.clock;
  }

  async authenticate(credentials: CallerCredentials): Promise<AuthenticatedCaller> {
    const secret = bearerOf(credentials.authorization) ?? cookieOf(credentials.cookie);
    if (secret === undefined)
      throw unauthorized("no credentials: send Authorization: Bearer TOKEN or log in", "set RAMPART_TOKEN, or run rampart login");
    if (isLocalToken(secret, this.#localToken())) {
      return {
        principal: { kind: "root", name: "local", grants: [], timed: [], apps: null },
        actor: "local",
        via: "local",
        credential: null,
        expiresAt: null,
      };
    }
    const kind = secretKind(secret);
    if (kind === null)
      throw unauthorized(
        "the bearer token is malformed: expected rampart_pat_…, rampart_svc_… or rampart_ses_… (43 characters after the prefix), or the data dir's credentials token",
        "copy the whole token as rampart token create printed it, or create a new one: rampart token create",
      );
    if (kind === "ses") return this.#session(secret);
    return this.#token(secret, credentials.address);
  }

  async #token(secret: string, address: string): Promise<AuthenticatedCaller> {
    const hash = hashSecret(secret);
    const token = await this.#store.tokenByHash(hash);
    if (!token || !sameDigest(token.sha256, hash))
      throw unauthorized(
        "the token is not known (never issued, or its user was removed)",
        "ask an admin for a new one: rampart token create",
      );
    const now = this.#clock.now();
    if (token.revoked_at !== null)
      throw unauthorized(
        `the token ${token.name} (id ${token.id}) was revoked at ${iso(token.revoked_at)}`,
        "create a new one: rampart token create --name NAME …",
      );
    if (token.expires_at !== null && token.expires_at <= now)
      throw unauthorized(
        `the token ${token.name} (id ${token.id}) expired at ${iso(token.expires_at)}`,
        "create a new one: rampart token create --name NAME … --expires 90d",
      );
    await this.#store.touchToken(token.id, now, address);
    const base = { via: "token" as const, credential: token.name, expiresAt: token.expires_at };
    const apps = token.apps === null ? null : parseApps(token.apps);
    if (token.kind === "svc") {
      const name = `svc:${token.name}`;
      const grants = await this.#store.grants({ kind: "service", tokenId: token.id });
      return { ...base, actor: name, principal: { kind: "service", name, grants, timed: this.#timedFor("service", name, now), apps } };
    }
    const owner = token.owner ?? "";
    if (!(await this.#store.user(owner))) throw unauthorized("the token's user no longer exists", "ask an admin: rampart user add NAME");
    const grants = await this.#store.grants({ kind: "user", name: owner });
    return { ...base, actor: owner, principal: { kind: "user", name: owner, grants, timed: this.#timedFor("user", owner, now), apps } };
  }

  async #session(secret: string): Promise<AuthenticatedCaller> {
    const session = await this.#sessions.resume(secret);
    const now = this.#clock.now();
    const grants = await this.#store.grants({ kind: "user", name: session.user });
    return {
      actor: session.user,
      via: "session",
      credential: "session",
      expiresAt: session.expiresAt,
      principal: { kind: "user", name: session.user, grants, timed: this.#timedFor("user", session.user, now), apps: null },
    };
  }

  #timedFor(kind: PrincipalKind, name: string, now: number) {
    return this.#timed().activeGrants({ kind, name }, now);
  }
}

function unauthorized(message: string, hint: string): RampartError {
  return new RampartError("unauthorized", message, { hint });
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

export function bearerOf(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1] ?? "";
}

export function cookieOf(header: string | undefined): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const [name, ...value] = part.trim().split("=");
    if (name === SESSION_COOKIE) return value.join("=");
  }
  return undefined;
}

/** Constant time whatever the candidate: both sides are hashed to equal-length digests first. */
export function isLocalToken(candidate: string, local: string): boolean {
  // No credentials file yet (or an empty token in it): nothing is the local root.
  if (local.length < 32) return false;
  return timingSafeEqual(Buffer.from(hashSecret(candidate), "hex"), Buffer.from(hashSecret(local), "hex"));
}
