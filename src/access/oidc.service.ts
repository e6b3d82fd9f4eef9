import { createHash, randomBytes } from "node:crypto";
// jose is loaded on the first OpenID Connect login, not at start-up.
import type { createRemoteJWKSet, JWTPayload } from "jose";
import { z } from "zod";
import { errorMessage, RampartError } from "../shared/errors.ts";
import type { ExternalUsers, SessionIssuer } from "./caller.ts";
import type { OidcSettings } from "./oidc-settings.ts";
import type { RoleGrant } from "./permissions.ts";

/** How long a started login may take at the provider (state, nonce and verifier are forgotten after). */
export const FLOW_TTL_MS = 10 * 60_000;
const MAX_PENDING = 1_000;

const discoverySchema = z.object({
  issuer: z.string(),
  authorization_endpoint: z.string(),
  token_endpoint: z.string(),
  jwks_uri: z.string(),
  userinfo_endpoint: z.string().optional(),
});
type Discovery = z.infer<typeof discoverySchema>;

const tokenAnswerSchema = z.object({ id_token: z.string(), access_token: z.string().optional() });
const providerErrorSchema = z.object({ error: z.string(), error_description: z.string().optional() });

interface PendingFlow {
  nonce: string;
  verifier: string;
  redirectUri: string;
  startedAt: number;
  /** Set when the CLI started it: the session goes to the CLI's poll, not into a browser cookie. */
  cliPoll: string | null;
}

export interface OidcSession {
  token: string;
  user: string;
  expiresAt: number;
}

export interface OidcDeps {
  settings: () => OidcSettings | null;
  sessions: SessionIssuer;
  users: ExternalUsers;
  now?: () => number;
  env?: NodeJS.ProcessEnv;
}

/**
 * OpenID Connect login, authorization code flow with PKCE (S256): `start` sends the browser to the provider with a
 * fresh state, nonce and code challenge (kept here, single use, expiring); `callback` exchanges the code, checks the
 * ID token (signature against the provider's JWKS, issuer, audience, expiry, nonce), maps the user's groups to role
 * grants, records the user and starts a session.
 */
export class OidcService {
  readonly #deps: OidcDeps;
  readonly #now: () => number;
  readonly #flows = new Map<string, PendingFlow>();
  /** CLI logins: poll id (hashed) → the session once the browser came back, or null while waiting. */
  readonly #polls = new Map<string, { session: OidcSession | null; startedAt: number }>();
  #discovery: { issuer: string; document: Discovery; jwks: ReturnType<typeof createRemoteJWKSet> } | null = null;

  constructor(deps: OidcDeps) {
    this.#deps = deps;
    this.#now = deps.now ?? Date.now;
  }

  /** The provider URL to send the browser to. `cliPoll` ties the login to a CLI waiting with that poll id. */
  async start(redirectUri: string, cliPoll: string | null = null): Promise<string> {
    const settings = this.#settings();
    const discovery = await this.#discover(settings);
    this.#expire();
    if (this.#flows.size >= MAX_PENDING) {
      throw new RampartError("rate_limited", "too many OpenID Connect logins are in progress", { hint: "try again in a few minutes" });
    }
    const state = secret();
    const flow: PendingFlow = { nonce: secret(), verifier: secret(), redirectUri, startedAt: this.#now(), cliPoll };
    this.#flows.set(state, flow);
    const url = new URL(discovery.document.authorization_endpoint);
    url.searchParams.set("response_type", "code");
    url.searchParams.set("client_id", settings.clientId);
    url.searchParams.set("redirect_uri", redirectUri);
    url.searchParams.set("scope", settings.scopes.join(" "));
    url.searchParams.set("state", state);
    url.searchParams.set("nonce", flow.nonce);
    url.searchParams.set("code_challenge", createHash("sha256").update(flow.verifier).digest("base64url"));
    url.searchParams.set("code_challenge_method", "S256");
    return url.toString();
  }

  /** A CLI login: the poll id (the CLI's secret) and the URL its user opens. */
  startForCli(startUrl: (handle: string) => string): { pollId: string; url: string } {
    this.#settings();
    this.#expire();
    // Unauthenticated: bounded, as pending browser logins are.
    if (this.#polls.size >= MAX_PENDING) {
      throw new RampartError("rate_limited", "too many CLI logins are waiting", { hint: "try again in a few minutes" });
    }
    const pollId = secret();
    this.#polls.set(hashOf(pollId), { session: null, startedAt: this.#now() });
    // The URL names the login by a handle that is not the poll id: whoever sees the URL cannot collect the session.
    const handle = secret();
    this.#handles.set(handle, hashOf(pollId));
    return { pollId, url: startUrl(handle) };
  }

  readonly #handles = new Map<string, string>();

  /** The poll id behind a CLI handle (single use), or a clear refusal. */
  takeHandle(handle: string): string {
    const poll = this.#handles.get(handle);
    this.#handles.delete(handle);
    if (poll === undefined || !this.#polls.has(poll)) {
      throw new RampartError("oidc_state_invalid", "this login link was already used or has expired", {
        hint: "run rampart login URL --oidc again and open the new link",
      });
    }
    return poll;
  }

  /** The CLI's poll: the session once (then forgotten), null while the browser has not come back. */
  poll(pollId: string): OidcSession | null {
    this.#expire();
    const key = hashOf(pollId);
    const entry = this.#polls.get(key);
    if (entry === undefined) {
      throw new RampartError("oidc_state_invalid", "this CLI login is unknown, already collected or expired", {
        hint: "run rampart login URL --oidc again",
      });
    }
    if (entry.session === null) return null;
    this.#polls.delete(key);
    return entry.session;
  }

  /**
   * The provider's redirect back: `query` as received. Returns the session and whether a CLI collects it
   * (then the browser only gets a page saying so).
   */
  async callback(query: Record<string, string | undefined>): Promise<{ session: OidcSession; forCli: boolean }> {
    const settings = this.#settings();
    this.#expire();
    const state = query.state ?? "";
    const flow = this.#flows.get(state);
    // Single use: a replayed or forged state finds nothing.
    this.#flows.delete(state);
    if (flow === undefined) {
      throw new RampartError(
        "oidc_state_invalid",
        "the login's state is unknown, already used or expired (a replayed or forged callback?)",
        {
          hint: "start the login again: open /api/v1/auth/oidc/start (or rampart login URL --oidc)",
        },
      );
    }
    if (query.error !== undefined) {
      throw loginFailed(`the provider refused the login: ${query.error}${query.error_description ? ` (${query.error_description})` : ""}`);
    }
    if (!query.code) throw loginFailed("the provider's callback carries no authorization code");
    const discovery = await this.#discover(settings);
    const tokens = await this.#exchange(settings, discovery.document, query.code, flow);
    const verified = await this.#verifyIdToken(settings, discovery, tokens.id_token, flow.nonce);
    const claims = await this.#claims(settings, discovery.document, verified, tokens.access_token);
    const groups = stringList(claims[settings.groupsClaim]);
    const name = userName(claims);
    const grants = grantsFor(settings, groups);
    const email = typeof claims.email === "string" ? claims.email : null;
    await this.#deps.users.upsertExternalUser({ name, email, grants }, `oidc:${settings.issuer}`);
    const started = await this.#deps.sessions.startSession(name, "oidc");
    const session = { token: started.token, user: name, expiresAt: started.expiresAt };
    if (flow.cliPoll !== null) {
      const entry = this.#polls.get(flow.cliPoll);
      if (entry === undefined)
        throw new RampartError("oidc_state_invalid", "the CLI that started this login stopped waiting", {
          hint: "run rampart login URL --oidc again",
        });
      entry.session = session;
      return { session, forCli: true };
    }
    return { session, forCli: false };
  }

  /** Checks an ID token as `callback` does (exported for tests of each refusal). */
  async verifyIdToken(idToken: string, nonce: string): Promise<JWTPayload> {
    const settings = this.#settings();
    return this.#verifyIdToken(settings, await this.#discover(settings), idToken, nonce);
  }

  async #verifyIdToken(
    settings: OidcSettings,
    discovery: { issuer: string; jwks: ReturnType<typeof createRemoteJWKSet> },
    idToken: string,
    nonce: string,
  ): Promise<JWTPayload> {
    let payload: JWTPayload;
    try {
      const { jwtVerify } = await import("jose");
      ({ payload } = await jwtVerify(idToken, discovery.jwks, {
        issuer: discovery.issuer,
        audience: settings.clientId,
        clockTolerance: 30,
      }));
    } catch (error) {
      throw loginFailed(`the provider's ID token is not valid: ${errorMessage(error)}`);
    }
    if (payload.nonce !== nonce) throw loginFailed("the ID token's nonce is not the one this login sent (a replayed or injected token?)");
    if (Array.isArray(payload.aud) && payload.aud.length > 1 && payload.azp !== settings.clientId) {
      throw loginFailed("the ID token was issued to another client (azp)");
    }
    return payload;
  }

  async #exchange(
    settings: OidcSettings,
    discovery: Discovery,
    code: string,
    flow: PendingFlow,
  ): Promise<z.infer<typeof tokenAnswerSchema>> {
    const clientSecret = (this.#deps.env ?? process.env)[settings.clientSecretEnv];
    if (!clientSecret) {
      throw new RampartError(
        "oidc_not_configured",
        `the OpenID Connect client secret is not set: ${settings.clientSecretEnv} is empty where rampart up runs`,
        {
          hint: `set ${settings.clientSecretEnv} in rampart up's environment (access.oidc.client_secret_env names it)`,
        },
      );
    }
    const basic = Buffer.from(`${encodeURIComponent(settings.clientId)}:${encodeURIComponent(clientSecret)}`).toString("base64");
    let response: Response;
    try {
      response = await fetch(discovery.token_endpoint, {
        method: "POST",
        headers: { authorization: `Basic ${basic}`, "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
        body: new URLSearchParams({ grant_type: "authorization_code", code, redirect_uri: flow.redirectUri, code_verifier: flow.verifier }),
        signal: AbortSignal.timeout(10_000),
      });
    } catch (error) {
      throw loginFailed(`cannot reach the provider's token endpoint ${discovery.token_endpoint}: ${errorMessage(error)}`);
    }
    const body: unknown = await response.json().catch(() => undefined);
    if (!response.ok) {
      const refusal = providerErrorSchema.safeParse(body);
      const reason = refusal.success
        ? `${refusal.data.error}${refusal.data.error_description ? ` (${refusal.data.error_description})` : ""}`
        : `HTTP ${response.status}`;
      throw loginFailed(`the provider refused the authorization code: ${reason}`);
    }
    const tokens = tokenAnswerSchema.safeParse(body);
    if (!tokens.success) throw loginFailed("the provider's token answer has no id_token (is the openid scope allowed for this client?)");
    return tokens.data;
  }

  /**
   * The ID token's claims, completed from the userinfo endpoint when the groups claim, the e-mail or the user name
   * is missing (many providers put them only there). The ID token's own values win; a userinfo answer about another
   * subject is ignored.
   */
  async #claims(
    settings: OidcSettings,
    discovery: Discovery,
    claims: JWTPayload,
    accessToken: string | undefined,
  ): Promise<Record<string, unknown>> {
    const complete = claims[settings.groupsClaim] !== undefined && claims.email !== undefined && claims.preferred_username !== undefined;
    if (complete || discovery.userinfo_endpoint === undefined || accessToken === undefined) return claims;
    const response = await fetch(discovery.userinfo_endpoint, {
      headers: { authorization: `Bearer ${accessToken}`, accept: "application/json" },
      signal: AbortSignal.timeout(10_000),
    }).catch(() => null);
    if (response === null || !response.ok) return claims;
    const info = z.record(z.string(), z.unknown()).safeParse(await response.json().catch(() => undefined));
    if (!info.success || info.data.sub !== claims.sub) return claims;
    return { ...info.data, ...claims };
  }

  async #discover(settings: OidcSettings): Promise<{ issuer: string; document: Discovery; jwks: ReturnType<typeof createRemoteJWKSet> }> {
    if (this.#discovery?.issuer === settings.issuer) return this.#discovery;
    const url = `${settings.issuer.replace(/\/$/, "")}/.well-known/openid-configuration`;
    let body: unknown;
    try {
      const response = await fetch(url, { headers: { accept: "application/json" }, signal: AbortSignal.timeout(10_000) });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      body = await response.json();
    } catch (error) {
      throw loginFailed(`cannot read the provider's discovery document ${url}: ${errorMessage(error)}`);
    }
    const document = discoverySchema.safeParse(body);
    if (!document.success) throw loginFailed(`${url} is not an OpenID Connect discovery document`);
    if (document.data.issuer !== settings.issuer) {
      throw loginFailed(`the provider says its issuer is ${document.data.issuer}, not ${settings.issuer} as access.oidc.issuer says`);
    }
    const { createRemoteJWKSet: remoteKeys } = await import("jose");
    this.#discovery = { issuer: settings.issuer, document: document.data, jwks: remoteKeys(new URL(document.data.jwks_uri)) };
    return this.#discovery;
  }

  #settings(): OidcSettings {
    const settings = this.#deps.settings();
    if (settings === null) {
      throw new RampartError("oidc_not_configured", "OpenID Connect login is not configured", {
        hint: "add access: { oidc: { issuer, client_id, client_secret_env } } to rampart.yaml (docs/access.md), or log in with a password",
      });
    }
    return settings;
  }

  #expire(): void {
    const oldest = this.#now() - FLOW_TTL_MS;
    for (const [state, flow] of this.#flows) if (flow.startedAt < oldest) this.#flows.delete(state);
    for (const [id, poll] of this.#polls) if (poll.startedAt < oldest) this.#polls.delete(id);
    for (const [handle, poll] of this.#handles) if (!this.#polls.has(poll)) this.#handles.delete(handle);
  }
}

function secret(): string {
  return randomBytes(32).toString("base64url");
}

function hashOf(value: string): string {
  return createHash("sha256").update(value).digest("base64url");
}

function loginFailed(message: string): RampartError {
  return new RampartError("oidc_login_failed", message, {
    hint: "start the login again; if it keeps failing, the control plane's log has the provider's answer",
  });
}

function stringList(value: unknown): string[] {
  if (typeof value === "string") return [value];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}

/** The Rampart user name: the provider's preferred_username, else the e-mail, else the subject. */
function userName(claims: Record<string, unknown>): string {
  for (const claim of [claims.preferred_username, claims.email, claims.sub]) if (typeof claim === "string" && claim !== "") return claim;
  throw loginFailed("the ID token names no user (no preferred_username, email or sub)");
}

/** Every grant of every group the user is in, once each. */
export function grantsFor(settings: OidcSettings, groups: readonly string[]): RoleGrant[] {
  const seen = new Map<string, RoleGrant>();
  for (const group of groups) for (const grant of settings.roles[group] ?? []) seen.set(`${grant.role}@${grant.env}`, grant);
  return [...seen.values()];
}
