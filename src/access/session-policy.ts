import { issueSecret } from "./token-secret.ts";

/**
 * Console sessions (OWASP Session Management CS): a random id (256 bits) stored hashed, an idle timeout and an
 * absolute one, both enforced on the server, and a new id on every privilege change (login, a just-in-time grant
 * taking effect) so a fixed or stolen id from before the change is worth nothing after it.
 */
export interface SessionTimeouts {
  idleMs: number;
  absoluteMs: number;
}

export const defaultSessionTimeouts: SessionTimeouts = { idleMs: 30 * 60_000, absoluteMs: 8 * 3600_000 };

export interface SessionTimes {
  createdAt: number;
  lastSeenAt: number;
}

export function sessionExpired(
  session: SessionTimes,
  now: number,
  timeouts: SessionTimeouts = defaultSessionTimeouts,
): "idle" | "absolute" | null {
  if (now - session.createdAt >= timeouts.absoluteMs) return "absolute";
  if (now - session.lastSeenAt >= timeouts.idleMs) return "idle";
  return null;
}

export const SESSION_COOKIE = "rampart_session";

export function newSessionId(): { id: string; hash: string } {
  const { secret, hash } = issueSecret("ses");
  return { id: secret, hash };
}

/** HttpOnly always, Secure when the API is served over TLS, SameSite=Strict: the console is same-origin. */
export function sessionCookie(id: string, options: { secure: boolean; maxAgeMs: number }): string {
  const parts = [`${SESSION_COOKIE}=${id}`, "Path=/", "HttpOnly", "SameSite=Strict", `Max-Age=${Math.floor(options.maxAgeMs / 1000)}`];
  if (options.secure) parts.push("Secure");
  return parts.join("; ");
}

export function clearedSessionCookie(secure: boolean): string {
  return sessionCookie("", { secure, maxAgeMs: 0 });
}
