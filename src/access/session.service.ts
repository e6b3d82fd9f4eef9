import { randomBytes } from "node:crypto";
import type { Db } from "../db/database.ts";
import type { EventLog } from "../events/event-log.ts";
import type { Clock } from "../shared/clock.ts";
import { RampartError } from "../shared/errors.ts";
import type { SessionIssuer } from "./caller.ts";
import type { IdentityStore, SessionRow } from "./identity.store.ts";
import type { LoginResult } from "./identity.types.ts";
import { LoginThrottle } from "./login-throttle.ts";
import { type Argon2Params, hashPassword, needsRehash, OWASP_ARGON2ID, verifyPassword } from "./password.ts";
import { defaultSessionTimeouts, newSessionId, sessionExpired, type SessionTimeouts } from "./session-policy.ts";
import { hashSecret } from "./token-secret.ts";

export interface SessionDeps {
  store: IdentityStore;
  events: EventLog;
  clock: Clock;
  timeouts?: SessionTimeouts;
  throttle?: LoginThrottle;
  /** The parameters new hashes get; a stored hash with others is re-hashed at its next login. */
  argon2?: Argon2Params;
  /** The password check (tests count its calls: a throttled login must not reach it). */
  verify?: typeof verifyPassword;
}

const WRONG_LOGIN = "wrong user name or password";

/**
 * Password logins and console sessions. An unknown user costs the same argon2 work as a wrong password and gets
 * the same answer, so a login does not tell which names exist; a throttled attempt costs no argon2 work at all.
 */
export class SessionService implements SessionIssuer {
  readonly #store: IdentityStore;
  readonly #events: EventLog;
  readonly #clock: Clock;
  readonly timeouts: SessionTimeouts;
  readonly #throttle: LoginThrottle;
  readonly #argon2: Argon2Params;
  readonly #verify: typeof verifyPassword;
  #dummyHash: Promise<string> | undefined;

  constructor(deps: SessionDeps) {
    this.#store = deps.store;
    this.#events = deps.events;
    this.#clock = deps.clock;
    this.timeouts = deps.timeouts ?? defaultSessionTimeouts;
    this.#throttle = deps.throttle ?? new LoginThrottle();
    this.#argon2 = deps.argon2 ?? OWASP_ARGON2ID;
    this.#verify = deps.verify ?? verifyPassword;
  }

  /** `previous` is a session the caller already held (cookie or bearer): it ends, so no id outlives a login. */
  async login(input: { user: string; password: string; address: string; previous?: string }): Promise<LoginResult> {
    const now = this.#clock.now();
    const wait = this.#throttle.retryAfterMs(input.user, input.address, now);
    if (wait > 0) {
      const seconds = Math.ceil(wait / 1000);
      throw new RampartError("too_many_logins", `too many failed logins for this user or from this address: try again in ${seconds} s`, {
        details: { retryAfterSeconds: seconds },
      });
    }
    const user = await this.#store.user(input.user);
    const hash = user?.password_hash ?? (await this.#dummy());
    const ok = (await this.#verify(hash, input.password)) && user?.password_hash != null;
    if (!ok || !user) {
      this.#throttle.failed(input.user, input.address, now);
      throw new RampartError("unauthorized", WRONG_LOGIN, {
        hint: "check the name and the password (an admin can reset it: rampart user remove, then rampart user add --password-stdin)",
      });
    }
    this.#throttle.succeeded(input.user);
    if (user.password_hash !== null && needsRehash(user.password_hash, this.#argon2)) await this.#rehash(user.name, input.password);
    if (input.previous !== undefined) await this.endSession(input.previous, user.name, "replaced by a new login");
    const session = await this.startSession(user.name, "password");
    return { token: session.token, user: user.name, expiresAt: session.expiresAt };
  }

  async startSession(user: string, how: "password" | "oidc"): Promise<{ token: string; expiresAt: number }> {
    const { id, hash } = newSessionId();
    const at = this.#clock.now();
    await this.#events.transact(async (trx, emit) => {
      await this.#store.insertSession(trx, { sha256: hash, user, how, created_at: at });
      await emit({ type: "session.started", actor: user, message: `${user} logged in (${how})`, data: { user, how } });
    });
    return { token: id, expiresAt: at + this.timeouts.absoluteMs };
  }

  /** Ends the session with this secret (logout); false when there was none. */
  async endSession(secret: string, actor: string, reason: string): Promise<boolean> {
    return this.#events.transact(async (trx, emit) => {
      const session = await this.#store.session(hashSecret(secret), trx);
      if (!session) return false;
      await this.#store.deleteSession(trx, session.sha256);
      await emit({
        type: "session.ended",
        actor,
        message: `${session.user}'s session ended: ${reason}`,
        data: { user: session.user, reason },
      });
      return true;
    });
  }

  /**
   * Ends every session of the user in the caller's transaction, whose event says so (a just-in-time grant taking
   * effect: a new session id on every privilege change). Returns how many ended.
   */
  endSessionsOf(trx: Db, user: string, reason: string): Promise<number> {
    return this.#store.deleteSessionsOf(trx, user, { reason, at: this.#clock.now() });
  }

  /** The live session with this secret, its last use recorded; throws `unauthorized` for an unknown or timed-out one. */
  async resume(secret: string): Promise<SessionRow & { expiresAt: number }> {
    const sha256 = hashSecret(secret);
    const session = await this.#store.session(sha256);
    const ended = session ? undefined : await this.#store.sessionEnding(sha256);
    if (ended) throw new RampartError("session_ended", `your session ended at ${new Date(ended.at).toISOString()}: ${ended.reason}`);
    if (!session)
      throw new RampartError("unauthorized", "the session is not valid (logged out, replaced by a newer login, or never issued)", {
        hint: "log in again: rampart login",
      });
    const now = this.#clock.now();
    const expired = sessionExpired({ createdAt: session.created_at, lastSeenAt: session.lastSeenAt }, now, this.timeouts);
    if (expired) {
      const reason = expired === "idle" ? `idle for ${minutes(this.timeouts.idleMs)}` : `older than ${minutes(this.timeouts.absoluteMs)}`;
      await this.#events.transact(async (trx, emit) => {
        if (await this.#store.deleteSession(trx, session.sha256))
          await emit({
            type: "session.ended",
            actor: "rampart",
            message: `${session.user}'s session expired (${reason})`,
            data: { user: session.user, reason: expired },
          });
      });
      throw new RampartError("unauthorized", `the session expired (${reason})`, { hint: "log in again: rampart login" });
    }
    await this.#store.touchSession(session.sha256, now);
    return { ...session, expiresAt: Math.min(session.created_at + this.timeouts.absoluteMs, now + this.timeouts.idleMs) };
  }

  async #rehash(user: string, password: string): Promise<void> {
    const hash = await hashPassword(password, this.#argon2);
    await this.#events.transact(async (trx, emit) => {
      await this.#store.updateUser(trx, user, { password_hash: hash });
      await emit({
        type: "user.updated",
        actor: user,
        message: `${user}'s password re-hashed with the current argon2id parameters`,
        data: { user, rehashed: true },
      });
    });
  }

  #dummy(): Promise<string> {
    this.#dummyHash ??= hashPassword(randomBytes(24).toString("base64url"), this.#argon2);
    return this.#dummyHash;
  }
}

function minutes(ms: number): string {
  return ms >= 3_600_000 ? `${ms / 3_600_000} h` : `${Math.round(ms / 60_000)} min`;
}
