import type { FastifyRequest } from "fastify";
import { z } from "zod";
import type { ProtocolPlugin } from "../api/api-server.ts";
import { defineRoute, type RouteDefinition } from "../api/route-definition.ts";
import { RampartError } from "../shared/errors.ts";
import type { OidcService, OidcSession } from "./oidc.service.ts";

export const SESSION_COOKIE = "rampart_session";
const CALLBACK_PATH = "/api/v1/auth/oidc/callback";

/**
 * The browser side of OpenID Connect login: redirects and a cookie, so raw routes rather than JSON ones. Both are
 * reached without a token (they are how one is obtained).
 */
export function oidcBrowserRoutes(service: OidcService, redirectUriOf: (request: FastifyRequest) => string): ProtocolPlugin {
  return (app) => {
    app.get("/api/v1/auth/oidc/start", async (request, reply) => {
      const query = z.object({ cli: z.string().optional() }).safeParse(request.query);
      const cliPoll = query.success && query.data.cli !== undefined ? service.takeHandle(query.data.cli) : null;
      const url = await service.start(redirectUriOf(request), cliPoll);
      return reply.code(302).header("location", url).header("cache-control", "no-store").send();
    });
    app.get(CALLBACK_PATH, async (request, reply) => {
      const query = z.record(z.string(), z.string()).safeParse(request.query);
      reply.header("cache-control", "no-store");
      let answer: Awaited<ReturnType<OidcService["callback"]>>;
      try {
        answer = await service.callback(query.success ? query.data : {});
      } catch (error) {
        // A person's browser lands here (a replayed or stale link, a provider's refusal): a page saying what went wrong
        // and the way back, not a JSON body. Programs (no text/html in Accept) get the API's JSON error.
        if (!(error instanceof RampartError) || !wantsHtml(request)) throw error;
        return reply.code(error.status).type("text/html; charset=utf-8").send(refusalPage(error));
      }
      const { session, forCli } = answer;
      if (forCli) {
        return reply
          .code(200)
          .type("text/html; charset=utf-8")
          .send(
            `<!doctype html><title>Rampart</title><p>Logged in as ${escapeHtml(session.user)}. Return to the terminal: rampart has the session.</p>`,
          );
      }
      return reply
        .code(302)
        .header("set-cookie", sessionCookie(session, request.protocol === "https"))
        .header("location", "/")
        .send();
    });
  };
}

/** HttpOnly (no script reads it), SameSite=Lax (sent on the provider's top-level redirect back), Secure over TLS. */
export function sessionCookie(session: OidcSession, secure: boolean): string {
  const maxAge = Math.max(0, Math.floor((session.expiresAt - Date.now()) / 1000));
  return `${SESSION_COOKIE}=${session.token}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${maxAge}${secure ? "; Secure" : ""}`;
}

/** The callback URL registered at the provider: configured, else this API's own address as the caller reached it. */
export function callbackUrl(configured: () => string | null): (request: FastifyRequest) => string {
  return (request) => configured() ?? `${request.protocol}://${request.host}${CALLBACK_PATH}`;
}

const cliStartResponse = z.object({ pollId: z.string(), url: z.string() });
const pollResponse = z.union([
  z.object({ status: z.literal("pending") }),
  z.object({ status: z.literal("done"), token: z.string(), user: z.string(), expiresAt: z.number() }),
]);

/**
 * The CLI side (`rampart login URL --oidc`): start a login that a browser completes, then poll for its session. The
 * CLI names the API's URL as it reaches it, so the link it prints is one its user's browser can open.
 */
export function oidcCliRoutes(service: OidcService): RouteDefinition[] {
  return [
    defineRoute({
      method: "POST",
      path: "/api/v1/auth/oidc/cli",
      summary: "start an OpenID Connect login for the CLI: a URL to open in a browser and a poll id to collect the session",
      tag: "auth",
      auth: false,
      body: z.object({ api: z.url({ protocol: /^https?$/ }).max(2000) }),
      response: cliStartResponse,
      handler: async ({ body }) => {
        const origin = new URL(body.api).origin;
        return service.startForCli((handle) => `${origin}/api/v1/auth/oidc/start?cli=${encodeURIComponent(handle)}`);
      },
    }),
    defineRoute({
      method: "POST",
      path: "/api/v1/auth/oidc/cli/poll",
      summary: "collect the session of a CLI's OpenID Connect login once the browser came back (single use)",
      tag: "auth",
      auth: false,
      body: z.object({ pollId: z.string().min(1).max(100) }),
      response: pollResponse,
      handler: async ({ body }) => {
        const session = service.poll(body.pollId);
        return session === null ? { status: "pending" as const } : { status: "done" as const, ...session };
      },
    }),
  ];
}

function wantsHtml(request: FastifyRequest): boolean {
  return (request.headers.accept ?? "").includes("text/html");
}

/** The refusal as a page: what was wrong, what to do (the error's hint), and a link back to the console's login. */
function refusalPage(error: RampartError): string {
  return [
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Rampart: login refused</title></head><body>',
    "<main><h1>Single sign-on login refused</h1>",
    `<p id="reason">${escapeHtml(error.message)}</p>`,
    `<p id="hint">${escapeHtml(error.hint)}</p>`,
    `<p><a href="/">Back to the console's login page</a> <small>(${escapeHtml(error.code)})</small></p>`,
    "</main></body></html>",
  ].join("");
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
