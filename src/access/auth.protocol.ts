import type { FastifyRequest } from "fastify";
import type { ProtocolPlugin } from "../api/api-server.ts";
import { parseRequestPart } from "../api/validation.ts";
import type { CallerCredentials } from "./caller.ts";
import { bearerOf, cookieOf, type IdentityAuthenticator } from "./identity-authenticator.ts";
import { type CreatedToken, loginBodySchema, ownTokenBodySchema, type WhoAmI } from "./identity.types.ts";
import { clearedSessionCookie, sessionCookie } from "./session-policy.ts";
import type { SessionService } from "./session.service.ts";
import { RampartError } from "../shared/errors.ts";
import type { TokenService } from "./token.service.ts";
import { secretKind } from "./token-secret.ts";

/**
 * Login, logout and whoami: registered on Fastify directly (not as route definitions) because they set cookies,
 * read the client's address and TLS, and answer with the whole Caller rather than its actor name. They are audited
 * as every route is (`access.caller`, `access.record`): a login, failed or not, is an `audit.request` attempt under
 * the name it claims, with its address and outcome; never its password.
 */
export function authProtocol(deps: {
  sessions: SessionService;
  authenticator: IdentityAuthenticator;
  tokens: TokenService;
}): ProtocolPlugin {
  return (app, access) => {
    app.post("/api/v1/auth/login", async (request, reply) => {
      const body = parseRequestPart(loginBodySchema, request.body ?? {}, "body");
      await access.record(request, body.user);
      const previous = sessionSecretOf(request);
      try {
        const result = await deps.sessions.login({ ...body, address: request.ip, previous });
        reply.header("set-cookie", sessionCookie(result.token, { secure: tls(request), maxAgeMs: deps.sessions.timeouts.absoluteMs }));
        reply.header("cache-control", "no-store");
        return result;
      } catch (error) {
        const retry = retryAfterOf(error);
        if (retry !== null) reply.header("retry-after", String(retry));
        throw error;
      }
    });

    app.post("/api/v1/auth/logout", async (request, reply) => {
      const caller = await access.caller(request);
      const secret = sessionSecretOf(request);
      const ended = secret !== undefined && (await deps.sessions.endSession(secret, caller.actor, "logged out"));
      reply.header("set-cookie", clearedSessionCookie(tls(request)));
      return { ended };
    });

    // A person's own personal token (no permission needed beyond being that person): acts with their roles.
    app.post("/api/v1/auth/tokens", async (request, reply): Promise<CreatedToken> => {
      const caller = await access.caller(request);
      const body = parseRequestPart(ownTokenBodySchema, request.body ?? {}, "body");
      if (caller.principal.kind !== "user")
        throw new RampartError("forbidden", `${caller.actor} is not a person: only users own personal tokens`, {
          hint: "create a service token (rampart token create --name N --role R --env E) or one for a user (--user NAME)",
        });
      const created = await deps.tokens.create({ ...body, user: caller.actor }, caller.actor);
      reply.code(201).header("cache-control", "no-store");
      return created;
    });

    app.get("/api/v1/auth/whoami", async (request): Promise<WhoAmI> => {
      const caller = await deps.authenticator.authenticate(credentialsOf(request));
      const { principal } = caller;
      return {
        actor: caller.actor,
        kind: principal.kind,
        via: caller.via,
        grants: [...principal.grants],
        timed: principal.timed.map((t) => ({ role: t.role, env: t.env, until: t.until, requestId: t.requestId })),
        apps: principal.apps === null ? null : [...principal.apps],
        token: caller.credential,
        expiresAt: caller.expiresAt,
      };
    });
  };
}

export function credentialsOf(request: FastifyRequest): CallerCredentials {
  return { authorization: request.headers.authorization, cookie: request.headers.cookie, address: request.ip, tls: tls(request) };
}

function tls(request: FastifyRequest): boolean {
  return request.protocol === "https";
}

/** The session the request already holds (bearer or cookie), if any. */
function sessionSecretOf(request: FastifyRequest): string | undefined {
  for (const candidate of [bearerOf(request.headers.authorization), cookieOf(request.headers.cookie)]) {
    if (candidate !== undefined && secretKind(candidate) === "ses") return candidate;
  }
  return undefined;
}

function retryAfterOf(error: unknown): number | null {
  if (typeof error !== "object" || error === null || !("details" in error)) return null;
  const details = error.details;
  if (typeof details !== "object" || details === null || !("retryAfterSeconds" in details)) return null;
  return typeof details.retryAfterSeconds === "number" ? details.retryAfterSeconds : null;
}
