import type { EdgeRequest } from "./edge-request.types.ts";
import { hash } from "node:crypto";
import type { CompiledApp, CompiledTable } from "./compiled-table.ts";
import type { EdgeErrorCode } from "./proxy-error-response.ts";
import { RateLimiter, sameLimit } from "./rate-limiter.ts";
import { JwksCache } from "./jwks-cache.ts";
import { checkTimes, DEFAULT_LEEWAY_SEC, verifyJwt, type JwtPolicy, type JwtResult } from "./jwt-verify.ts";
import type { EdgeAuth, RoutingTable } from "./routing-table.types.ts";

/**
 * Authentication at the edge, per app (manifest `apps.<app>.auth`): JWT bearer tokens verified against the app's
 * JWKS, API keys checked against the SHA-256 hashes the control plane sends (never the keys), public path prefixes
 * exempt. A request that fails is answered by the edge (401 with WWW-Authenticate, 403, 429, 503); one that passes
 * goes on with its subject, which the proxy hands the app in `x-rampart-subject` (a client's own is always dropped:
 * proxy-headers.ts). Checked after the per-address rate limit, so an unauthenticated flood is limited by address;
 * the subject then takes a token from its own bucket (same rate and burst), so one key cannot use many addresses.
 */

export const SUBJECT_HEADER = "x-rampart-subject";
/** Keys `rampart apikeys create` makes start with this, so a bearer value is told apart from a JWT without parsing. */
export const API_KEY_PREFIX = "rk_";
/** Verified tokens remembered per app and worker: the hit path is a Map lookup and two comparisons. */
const MAX_VERIFIED = 10_000;

export type AuthOutcome =
  | { readonly kind: "pass"; readonly subject: string | undefined; readonly via: "public" | "jwt" | "api_key" | "none" }
  | {
      readonly kind: "refuse";
      readonly status: 401 | 403 | 429 | 503;
      readonly code: EdgeErrorCode;
      readonly message: string;
      readonly challenge?: string;
      readonly retryAfter?: number;
    };

const OPEN: AuthOutcome = { kind: "pass", subject: undefined, via: "none" };
const PUBLIC: AuthOutcome = { kind: "pass", subject: undefined, via: "public" };

interface VerifiedToken {
  readonly generation: number;
  readonly subject: string;
  readonly exp: number;
  readonly nbf: number;
}

interface JwtCheck {
  readonly jwks: JwksCache;
  readonly policy: JwtPolicy;
  readonly verified: Map<string, VerifiedToken>;
}

interface AppAuthPolicy {
  readonly app: string;
  readonly publicPrefixes: readonly string[];
  readonly jwt: JwtCheck | null;
  /** sha256 (hex) → key id */
  readonly apiKeys: ReadonlyMap<string, string> | null;
  readonly subjectLimiter: RateLimiter | null;
}

export interface GatewayAuthOptions {
  nowMs?: () => number;
  /** For tests: JWKS caches with their own timing. */
  jwks?: (source: string) => JwksCache;
}

export class GatewayAuth {
  private policies = new WeakMap<CompiledApp, AppAuthPolicy>();
  private caches = new Map<string, JwksCache>();
  private subjectLimiters = new Map<string, RateLimiter>();
  private verifiedCaches = new Map<string, Map<string, VerifiedToken>>();
  private readonly nowMs: () => number;
  private readonly makeJwks: (source: string) => JwksCache;

  constructor(options: GatewayAuthOptions = {}) {
    this.nowMs = options.nowMs ?? Date.now;
    this.makeJwks = options.jwks ?? ((source) => new JwksCache(source));
  }

  /** Policies for the table's apps; JWKS caches, verified tokens and subject buckets carry over while unchanged. */
  configure(compiled: CompiledTable, table: RoutingTable): void {
    const policies = new WeakMap<CompiledApp, AppAuthPolicy>();
    const caches = new Map<string, JwksCache>();
    const limiters = new Map<string, RateLimiter>();
    const verifiedCaches = new Map<string, Map<string, VerifiedToken>>();
    for (const env of compiled.environments) {
      const raw = table.environments.find((e) => e.name === env.name);
      for (const route of env.routes) {
        if (policies.has(route.app)) continue;
        const app = raw?.apps.find((a) => a.name === route.app.name);
        const auth = app?.auth ?? null;
        if (auth === null || auth === undefined) continue;
        const key = `${env.name}\u0000${route.app.name}`;
        let jwt: JwtCheck | null = null;
        if (auth.jwt !== null) {
          const jwks = caches.get(auth.jwt.jwks) ?? this.caches.get(auth.jwt.jwks) ?? this.makeJwks(auth.jwt.jwks);
          caches.set(auth.jwt.jwks, jwks);
          // Kick off the first load now, so the first request finds the keys (or waits for this load, not another).
          void jwks.ready();
          const policy: JwtPolicy = { ...auth.jwt, leewaySec: DEFAULT_LEEWAY_SEC };
          const verifiedKey = `${key}\u0000${JSON.stringify(auth.jwt)}`;
          const verified = this.verifiedCaches.get(verifiedKey) ?? new Map<string, VerifiedToken>();
          verifiedCaches.set(verifiedKey, verified);
          jwt = { jwks, policy, verified };
        }
        let subjectLimiter: RateLimiter | null = null;
        if (app?.rateLimit !== null && app?.rateLimit !== undefined) {
          const previous = this.subjectLimiters.get(key);
          subjectLimiter = previous !== undefined && sameLimit(previous.limit, app.rateLimit) ? previous : new RateLimiter(app.rateLimit);
          limiters.set(key, subjectLimiter);
        }
        policies.set(route.app, {
          app: route.app.name,
          publicPrefixes: auth.public,
          jwt,
          apiKeys: apiKeyMap(auth),
          subjectLimiter,
        });
      }
    }
    this.policies = policies;
    this.caches = caches;
    this.subjectLimiters = limiters;
    this.verifiedCaches = verifiedCaches;
  }

  /**
   * The verdict on a routed request, synchronously when it can be (no auth, public path, API key, a token whose
   * key is known), else a promise that never rejects (first JWKS load, reload for an unknown kid).
   */
  check(app: CompiledApp, req: Pick<EdgeRequest, "rawHeaders">, target: string): AuthOutcome | Promise<AuthOutcome> {
    const policy = this.policies.get(app);
    if (policy === undefined) return OPEN;
    if (isPublic(policy.publicPrefixes, target)) return PUBLIC;
    const credentials = readCredentials(req.rawHeaders);
    if (typeof credentials === "string") return unauthorized(policy, "invalid_request", credentials);
    if (credentials.apiKey !== undefined) {
      if (policy.apiKeys === null) return unauthorized(policy, "invalid_token", "API keys are not accepted by this app");
      const id = policy.apiKeys.get(sha256(credentials.apiKey));
      if (id === undefined) return unauthorized(policy, "invalid_token", "the API key is unknown or revoked");
      return this.limitSubject(policy, `apikey:${id}`, "api_key");
    }
    if (credentials.bearer === undefined)
      return unauthorized(policy, undefined, "this app needs credentials: a bearer token or an API key");
    if (policy.jwt === null) return unauthorized(policy, "invalid_token", "bearer tokens (JWT) are not accepted by this app");
    return this.checkJwt(policy, policy.jwt, credentials.bearer);
  }

  private checkJwt(policy: AppAuthPolicy, jwt: JwtCheck, token: string): AuthOutcome | Promise<AuthOutcome> {
    const keys = jwt.jwks.keys();
    const nowSec = this.nowMs() / 1_000;
    if (keys === undefined) return jwt.jwks.ready().then(() => this.afterLoad(policy, jwt, token));
    const hit = jwt.verified.get(token);
    if (hit !== undefined && hit.generation === keys.generation) {
      const late = checkTimes(hit.exp, hit.nbf, jwt.policy.leewaySec, nowSec);
      if (late !== undefined) {
        jwt.verified.delete(token);
        return this.jwtOutcome(policy, late);
      }
      return this.limitSubject(policy, hit.subject, "jwt");
    }
    const result = verifyJwt(token, keys, jwt.policy, nowSec);
    if (!result.ok && result.failure === "unknown_kid") {
      const reload = jwt.jwks.refreshForUnknownKid();
      if (reload !== undefined) return reload.then(() => this.afterLoad(policy, jwt, token));
    }
    if (result.ok) remember(jwt.verified, token, keys.generation, result);
    return this.jwtOutcome(policy, result);
  }

  /** After a JWKS load: verify once more, without triggering another load. */
  private afterLoad(policy: AppAuthPolicy, jwt: JwtCheck, token: string): AuthOutcome {
    const keys = jwt.jwks.keys();
    if (keys === undefined) {
      return {
        kind: "refuse",
        status: 503,
        code: "auth_unavailable",
        message: `the edge cannot load ${policy.app}'s signing keys (JWKS), so it cannot check tokens; retry shortly`,
        retryAfter: 5,
      };
    }
    const result = verifyJwt(token, keys, jwt.policy, this.nowMs() / 1_000);
    if (result.ok) remember(jwt.verified, token, keys.generation, result);
    return this.jwtOutcome(policy, result);
  }

  private jwtOutcome(policy: AppAuthPolicy, result: JwtResult): AuthOutcome {
    if (result.ok) return this.limitSubject(policy, result.subject, "jwt");
    if (result.failure === "missing_claim") {
      return {
        kind: "refuse",
        status: 403,
        code: "auth_forbidden",
        message: `${result.message}; ask the token's issuer for a token with it`,
        challenge: challenge(policy, "insufficient_scope", result.message),
      };
    }
    return unauthorized(policy, "invalid_token", result.message);
  }

  private limitSubject(policy: AppAuthPolicy, subject: string, via: "jwt" | "api_key"): AuthOutcome {
    const header = headerSafe(subject);
    if (policy.subjectLimiter !== null) {
      const retryAfter = policy.subjectLimiter.take(header);
      if (retryAfter > 0) {
        return {
          kind: "refuse",
          status: 429,
          code: "rate_limited",
          message: `too many requests to ${policy.app} from this ${via === "jwt" ? "subject" : "API key"}; retry in ${retryAfter} s`,
          retryAfter,
        };
      }
    }
    return { kind: "pass", subject: header, via };
  }
}

function apiKeyMap(auth: EdgeAuth): ReadonlyMap<string, string> | null {
  if (auth.apiKeys === null) return null;
  return new Map(auth.apiKeys.map((k) => [k.sha256, k.id]));
}

function remember(cache: Map<string, VerifiedToken>, token: string, generation: number, result: JwtResult): void {
  if (!result.ok) return;
  if (cache.size >= MAX_VERIFIED) {
    // Map order is insertion order: the oldest tenth goes (tokens are short-lived; they come back verified again).
    let drop = Math.ceil(MAX_VERIFIED / 10);
    for (const key of cache.keys()) {
      if (drop-- <= 0) break;
      cache.delete(key);
    }
  }
  cache.set(token, { generation, subject: result.subject, exp: result.exp, nbf: result.nbf });
}

/** One-shot hash: a createHash object per request costs more than the digest itself. */
/**
 * An API key has done its job once the edge checked it: it is not forwarded (apps log headers, and the key would
 * land in their logs); the app gets `apikey:<name>` as the subject. A JWT is forwarded: apps may read its claims.
 */
export function dropApiKeyHeaders(plan: { headers: string[]; clientHeadersEnd: number }): void {
  const headers = plan.headers;
  for (let i = plan.clientHeadersEnd - 2; i >= 0; i -= 2) {
    const name = (headers[i] as string).toLowerCase();
    if (name === "x-api-key" || name === "authorization") {
      headers.splice(i, 2);
      plan.clientHeadersEnd -= 2;
    }
  }
}

export function sha256(text: string): string {
  return hash("sha256", text, "hex");
}

function unauthorized(policy: AppAuthPolicy, error: "invalid_request" | "invalid_token" | undefined, message: string): AuthOutcome {
  return {
    kind: "refuse",
    status: 401,
    code: "auth_required",
    message: `${message}; send Authorization: Bearer <token> (or an API key from rampart apikeys create)`,
    challenge: challenge(policy, error, message),
  };
}

/** RFC 6750 §3: the error description is printable ASCII without quotes or backslashes. */
function challenge(policy: AppAuthPolicy, error: string | undefined, description: string): string {
  const realm = `Bearer realm="${policy.app}"`;
  if (error === undefined) return realm;
  return `${realm}, error="${error}", error_description="${description.replace(/[^\x20-\x21\x23-\x5b\x5d-\x7e]/g, "'")}"`;
}

type Credentials = { bearer?: string; apiKey?: string };

/**
 * Authorization and X-Api-Key, each at most once: with two, the edge and the app could read different ones.
 * A string is what is wrong.
 */
function readCredentials(raw: readonly string[]): Credentials | string {
  let authorization: string | undefined;
  let apiKeyHeader: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    // Cheap pre-filter on length: "authorization" is 13, "x-api-key" 9.
    if (name.length !== 13 && name.length !== 9) continue;
    const lower = name.toLowerCase();
    if (lower === "authorization") {
      if (authorization !== undefined) return "more than one Authorization header";
      authorization = raw[i + 1] as string;
    } else if (lower === "x-api-key") {
      if (apiKeyHeader !== undefined) return "more than one X-Api-Key header";
      apiKeyHeader = raw[i + 1] as string;
    }
  }
  if (authorization !== undefined && apiKeyHeader !== undefined) return "both Authorization and X-Api-Key: send one";
  if (apiKeyHeader !== undefined) return apiKeyHeader.length === 0 ? "an empty X-Api-Key header" : { apiKey: apiKeyHeader.trim() };
  if (authorization === undefined) return {};
  // "Bearer " in any case, then the token; its characters are checked where it is used (strict base64url for a
  // JWT, a hash lookup for a key), so the common path makes no regex pass over a kilobyte-long header.
  if (authorization.length < 8 || authorization.slice(0, 7).toLowerCase() !== "bearer ")
    return "the Authorization header is not Bearer <token>";
  const token = authorization.slice(7).trim();
  if (token.length === 0 || token.includes(" ")) return "the Authorization header is not Bearer <token>";
  return token.startsWith(API_KEY_PREFIX) ? { apiKey: token } : { bearer: token };
}

const SLASH = 47;
/** Dot segments, encoded dots or slashes, backslashes: an app normalising the path could land outside the public prefix. */
const AMBIGUOUS_PATH = /(?:^|\/)\.\.?(?:\/|$)|%2e|%2f|%5c|\\|\/\//i;

/** A public prefix matches on segment boundaries, like routes; an ambiguous path is never public (fail closed). */
export function isPublic(prefixes: readonly string[], target: string): boolean {
  if (prefixes.length === 0) return false;
  const query = target.indexOf("?");
  const path = query === -1 ? target : target.slice(0, query);
  let matched = false;
  for (const prefix of prefixes) {
    if (!path.startsWith(prefix)) continue;
    if (prefix.length === path.length || prefix.endsWith("/") || path.charCodeAt(prefix.length) === SLASH) {
      matched = true;
      break;
    }
  }
  return matched && !AMBIGUOUS_PATH.test(path);
}

/** A subject as a header value: visible ASCII as it is, anything else percent-encoded (documented in docs/edge.md). */
function headerSafe(subject: string): string {
  return /^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/.test(subject) ? subject : encodeURIComponent(subject);
}
