import { storageError } from "../shared/storage-errors.ts";
import type { FastifyRequest } from "fastify";
import { type AccessTarget, decideTarget, forbidden, withTimedGrants } from "../access/authorize.ts";
import type {
  AuditedRequest,
  Authenticator,
  Caller,
  CallerCredentials,
  EnvironmentProtection,
  RequestAuditor,
  TimedGrantSource,
} from "../access/caller.ts";
import type { Permission, Role } from "../access/permissions.ts";
import type { Clock } from "../shared/clock.ts";
import type { ErrorCode } from "../shared/error-catalogue.ts";
import { RampartError } from "../shared/errors.ts";
import { logger } from "../shared/logger.ts";

export interface AccessGateOptions {
  authenticator: Authenticator;
  protection: EnvironmentProtection;
  auditor?: RequestAuditor;
  grants?: TimedGrantSource;
  /** The roles rampart.yaml's `access:` policy lets be requested in an environment: a 403 names one of them. */
  requestableRoles?: (env: string) => readonly Role[];
  clock: Clock;
  /** Named in the error when the audit record cannot be written because the data dir is full or read-only. */
  dataDir?: string;
}

/** What a route asks of the gate: its permission (none: any authenticated caller) and where it applies. */
export interface GateRequest {
  /** The route's path pattern, for the audit record. */
  route: string;
  permission: Permission | null;
  env: string | null;
  app: string | null;
  anyEnvironment?: boolean;
}

/**
 * Whether a caller holds a permission in an environment (null: in every environment, as a route naming none needs),
 * asked by a `filtered` route's handler.
 */
export type EnvPermit = (permission: Permission, env: string | null) => boolean;

/** GETs reveal nothing worth a record, except these. */
const revealing: ReadonlySet<Permission> = new Set(["secrets.reveal", "db.query"]);

/** Streams re-check their caller at least this often, besides whenever a just-in-time grant ends. */
const RECHECK_MS = 1_000;

export function credentialsOf(request: FastifyRequest): CallerCredentials {
  const { authorization, cookie } = request.headers;
  return { authorization, cookie, address: request.ip, tls: request.protocol === "https" };
}

/**
 * The path with every segment the route names `:token` (an action link, a heartbeat URL: the path IS the
 * credential) replaced, so the audit log records which route was used, never what would use it again.
 */
export function withoutTokens(path: string, route: string): string {
  const pattern = route.split("/");
  if (!pattern.includes(":token")) return path;
  return path
    .split("/")
    .map((segment, i) => (pattern[i] === ":token" ? "[token]" : segment))
    .join("/");
}

export function isAudited(method: string, permission: Permission | null): boolean {
  return method !== "GET" && method !== "HEAD" ? true : permission !== null && revealing.has(permission);
}

/**
 * Who is calling and whether they may: authenticate (401), decide the permission in the route's environment (403),
 * and record requests that change or reveal anything (fail-closed: no record, no action). The outcome is recorded
 * by `finish` once the answer is sent.
 */
export function createAccessGate(options: AccessGateOptions) {
  const attempts = new WeakMap<FastifyRequest, number>();

  const audited = (request: FastifyRequest, gate: GateRequest, actor: string): AuditedRequest => ({
    actor,
    address: request.ip,
    method: request.method,
    route: gate.route,
    path: withoutTokens(request.url.split("?")[0] ?? request.url, gate.route),
    permission: gate.permission,
    env: gate.env,
    app: gate.app,
  });

  const deny = async (request: FastifyRequest, gate: GateRequest, actor: string, error: RampartError): Promise<never> => {
    if (options.auditor && isAudited(request.method, gate.permission)) {
      // A denial that cannot be recorded is still a denial: the refusal stands, the failure is logged.
      await options.auditor
        .denied(audited(request, gate, actor), { status: error.status, error: error.code })
        .catch((err: unknown) => logger.error({ err }, "audit: could not record a denied request"));
    }
    throw error;
  };

  const authorize = (caller: Caller, gate: GateRequest): RampartError | null => {
    if (gate.permission === null) return null;
    const now = options.clock.now();
    const principal = withTimedGrants(caller.principal, options.grants, now);
    const target: AccessTarget = { permission: gate.permission, env: gate.env, app: gate.app, anyEnvironment: gate.anyEnvironment };
    const answer = decideTarget(principal, target, options.protection, now);
    if (answer.allowed) return null;
    return forbidden(principal, target, answer, target.env === null ? undefined : options.requestableRoles?.(target.env));
  };

  const attempt = async (request: FastifyRequest, gate: GateRequest, actor: string): Promise<void> => {
    if (!options.auditor || !isAudited(request.method, gate.permission)) return;
    try {
      attempts.set(request, await options.auditor.attempt(audited(request, gate, actor)));
    } catch (err) {
      logger.error({ err }, "audit: could not record a request; refused it");
      // Refused either way (fail-closed); a full or read-only data dir is named as such, with what to do about it.
      const storage = options.dataDir === undefined ? undefined : storageError(err, options.dataDir);
      if (storage) throw storage;
      throw new RampartError("audit_unavailable", `the audit record of ${request.method} ${gate.route} could not be written`);
    }
  };

  /** Decides as `authorize` does, per environment, with the grants in force when asked. */
  const permitOf =
    (caller: Caller): EnvPermit =>
    (permission, env) => {
      const now = options.clock.now();
      const principal = withTimedGrants(caller.principal, options.grants, now);
      return decideTarget(principal, { permission, env, app: null }, options.protection, now).allowed;
    };

  return {
    permitOf,

    /** Authenticates and authorises; records the attempt when the request changes or reveals something. */
    async admit(request: FastifyRequest, gate: GateRequest): Promise<Caller> {
      let caller: Caller;
      try {
        caller = await options.authenticator.authenticate(credentialsOf(request));
      } catch (error) {
        if (error instanceof RampartError && (error.code === "unauthorized" || error.code === "session_ended"))
          return deny(request, gate, "anonymous", error);
        throw error;
      }
      const refused = authorize(caller, gate);
      if (refused) return deny(request, gate, caller.actor, refused);
      await attempt(request, gate, caller.actor);
      return caller;
    },

    /** Records the attempt of an audited request admitted some other way (a route's own token). */
    attempt,

    /** The outcome of an admitted, audited request, once its answer is sent. */
    finish(request: FastifyRequest, status: number, error: ErrorCode | null): void {
      const id = attempts.get(request);
      if (id === undefined || !options.auditor) return;
      attempts.delete(request);
      options.auditor
        .outcome(id, { status, error })
        .catch((err: unknown) => logger.error({ err, attempt: id }, "audit: could not record a request's outcome"));
    },

    /**
     * For an open stream: re-checks the caller (credential still valid, permission still held) whenever a
     * just-in-time grant ends and at least every second; calls `lost` once when it fails. Returns the stop function.
     */
    watch(request: FastifyRequest, gate: GateRequest, lost: (error: RampartError) => void): () => void {
      const credentials = credentialsOf(request);
      let done = false;
      let checking = false;
      const check = async () => {
        if (done || checking) return;
        checking = true;
        try {
          const caller = await options.authenticator.authenticate(credentials);
          const refused = authorize(caller, gate);
          if (refused && !done) {
            done = true;
            lost(refused);
          }
        } catch (error) {
          if (!done) {
            done = true;
            lost(error instanceof RampartError ? error : new RampartError("unauthorized", "the stream's credential is no longer valid"));
          }
        } finally {
          checking = false;
        }
      };
      const timer = setInterval(() => void check(), RECHECK_MS);
      const unsubscribe = options.grants?.onGrantEnded(() => void check());
      return () => {
        done = true;
        clearInterval(timer);
        unsubscribe?.();
      };
    },
  };
}

export type AccessGate = ReturnType<typeof createAccessGate>;
