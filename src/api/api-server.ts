import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import type { Authenticator, Caller, EnvironmentProtection, RequestAuditor, TimedGrantSource } from "../access/caller.ts";
import type { Permission, Role } from "../access/permissions.ts";
import type { Clock } from "../shared/clock.ts";
import { type ErrorCode, errorCatalogue } from "../shared/error-catalogue.ts";
import { RampartError } from "../shared/errors.ts";
import { storageError } from "../shared/storage-errors.ts";
import { type AccessGate, createAccessGate, type EnvPermit, type GateRequest } from "./access-gate.ts";
import type { RouteAuth, RouteDefinition } from "./route-definition.ts";
import type { SseSink, StreamRouteDefinition } from "./stream-route.ts";
import { appSourceOf, envSourceOf, valueAt } from "./permission-scope.ts";
import { parseRequestPart } from "./validation.ts";
import { buildOpenApiDocument } from "./openapi.ts";
import { logger } from "../shared/logger.ts";

export interface ApiServerOptions {
  routes: RouteDefinition[];
  streams: StreamRouteDefinition[];
  /** Who is calling (401 when nobody we know); each route's permission is then decided (403). */
  authenticator: Authenticator;
  /** Which environments cap standing access (rampart.yaml's `protected:`). */
  protection: EnvironmentProtection;
  /** Records every request that changes or reveals anything; refuses the request when it cannot (fail-closed). */
  auditor?: RequestAuditor;
  /** Just-in-time grants in force, read at every check; open streams are re-checked when one ends. */
  grants?: TimedGrantSource;
  /** The roles the `access:` policy lets be requested in an environment, for the command a 403 names. */
  requestableRoles?: (env: string) => readonly Role[];
  clock: Clock;
  version: string;
  /** Named in the error when a request fails because the data dir is full or read-only. */
  dataDir: string;
  /**
   * Endpoints that speak someone else's protocol rather than our JSON API (Prometheus text, OTLP, OFREP with
   * ETags): each registers its own Fastify routes, using `access.require` for the callers our routes accept.
   */
  protocols?: ProtocolPlugin[];
}

/** A protocol endpoint's need: a permission in one environment, in every one (env null), or in any one. */
export interface ProtocolNeed {
  permission: Permission;
  env?: string | null;
  app?: string | null;
  anyEnvironment?: boolean;
}

export interface ProtocolAccess {
  /** 401 for an unknown caller, 403 without the permission; records the request when it changes something. */
  require(request: FastifyRequest, need: ProtocolNeed): Promise<string>;
  /** Any caller we know (401 otherwise, recorded as a denial); records the request when it changes something. */
  caller(request: FastifyRequest): Promise<Caller>;
  /**
   * Records a request made before anyone is authenticated (a login) under the actor it claims to be, before it
   * runs (fail-closed); its outcome (status, error code) is recorded once the answer is sent.
   */
  record(request: FastifyRequest, actor: string): Promise<void>;
}

export type ProtocolPlugin = (app: FastifyInstance, access: ProtocolAccess) => void;

/** Builds (does not listen) the control-plane HTTP API from every capability's routes. */
export function buildApiServer(options: ApiServerOptions): FastifyInstance {
  const gate = createAccessGate(options);
  const app = Fastify({
    logger: false,
    bodyLimit: 1024 * 1024,
    forceCloseConnections: true,
    routerOptions: { maxParamLength: 200 },
    // Errors Fastify raises before routing (bad URL encoding, a too-long parameter) get our error shape too.
    frameworkErrors: (error, request, reply) => {
      sendError(request, reply, error, options.dataDir);
    },
  });
  app.addHook("onResponse", async (request, reply) => {
    gate.finish(request, reply.statusCode, errorCodes.get(request) ?? null);
  });

  const nothing: EnvPermit = () => false;
  const admit = async (
    auth: RouteAuth | undefined,
    request: FastifyRequest,
    at: GateRequest,
  ): Promise<{ actor: string; may: EnvPermit }> => {
    if (auth === false) return { actor: "anonymous", may: nothing };
    if (typeof auth === "function") {
      const actor = await auth(request.headers.authorization);
      await gate.attempt(request, at, actor);
      return { actor, may: nothing };
    }
    const caller = await gate.admit(request, at);
    return { actor: caller.actor, may: gate.permitOf(caller) };
  };
  // The environment and app as sent (before validation, so that a caller without access learns nothing more).
  const gateFor = (route: RouteDefinition | StreamRouteDefinition) => {
    const envSource = envSourceOf(route);
    const appSource = appSourceOf(route);
    return (request: FastifyRequest): GateRequest => {
      const env = valueAt(request, envSource);
      return {
        route: route.path,
        permission: route.permission ?? null,
        env,
        app: valueAt(request, appSource),
        // A filtered route asked about no environment is let in on the permission held anywhere; its handler keeps
        // only where it is held.
        anyEnvironment: ("method" in route && route.anyEnvironment) || (route.filtered === true && env === null) || undefined,
      };
    };
  };

  app.setErrorHandler((error, request, reply) => sendError(request, reply, error, options.dataDir));
  app.setNotFoundHandler((request, reply) =>
    sendError(
      request,
      reply,
      new RampartError("not_found", `no route ${request.method} ${request.url.split("?")[0]}`, {
        hint: "the OpenAPI document at /api/v1/openapi.json lists the routes",
      }),
      options.dataDir,
    ),
  );

  for (const route of options.routes) {
    const at = gateFor(route);
    app.route({
      method: route.method,
      url: route.path,
      handler: async (request, reply) => {
        const { actor, may } = await admit(route.auth, request, at(request));
        const params = route.params ? parseRequestPart(route.params, request.params, "params") : {};
        const query = route.query ? parseRequestPart(route.query, request.query, "query") : {};
        const body = route.body ? parseRequestPart(route.body, request.body ?? {}, "body") : {};
        const result = await route.handler({ params, query, body, actor, may });
        reply.code(route.status ?? 200).send(result);
      },
    });
  }

  for (const stream of options.streams) {
    const gateOf = gateFor(stream);
    app.get(stream.path, async (request, reply) => {
      const at = gateOf(request);
      const { may } = await admit(stream.auth, request, at);
      const params = stream.params ? parseRequestPart(stream.params, request.params, "params") : {};
      const query = stream.query ? parseRequestPart(stream.query, request.query, "query") : {};
      await stream.check?.({ params, query });
      reply.hijack();
      const lastEventId = request.headers["last-event-id"];
      // Streams outlive their check: one whose caller loses the permission (a grant ended) is closed.
      const watch = stream.auth === undefined || stream.auth === true ? watcher(gate, request, at) : undefined;
      await serveEventStream(
        request,
        reply,
        (sink) => stream.handler({ params, query, lastEventId: typeof lastEventId === "string" ? lastEventId : undefined, may }, sink),
        watch,
      );
    });
  }

  const protocolRoute = (request: FastifyRequest): string => request.routeOptions.url ?? request.url.split("?")[0] ?? "";
  const unscoped = (request: FastifyRequest): GateRequest => ({ route: protocolRoute(request), permission: null, env: null, app: null });
  const access: ProtocolAccess = {
    caller: (request) => gate.admit(request, unscoped(request)),
    record: (request, actor) => gate.attempt(request, unscoped(request), actor),
    require: async (request, need) =>
      (
        await gate.admit(request, {
          route: protocolRoute(request),
          permission: need.permission,
          env: need.env ?? null,
          app: need.app ?? null,
          anyEnvironment: need.anyEnvironment,
        })
      ).actor,
  };
  for (const plugin of options.protocols ?? []) plugin(app, access);

  const openApi = buildOpenApiDocument(options.routes, options.streams, options.version);
  app.get("/api/v1/openapi.json", async (request) => {
    // Any caller we know may read the document: it says what each operation needs, not what anyone holds.
    await gate.admit(request, { route: "/api/v1/openapi.json", permission: null, env: null, app: null });
    return openApi;
  });
  return app;
}

type Watch = (lost: (error: RampartError) => void) => () => void;

function watcher(gate: AccessGate, request: FastifyRequest, at: GateRequest): Watch {
  return (lost) => gate.watch(request, at, lost);
}

/** The error code each failed request was answered with, for its audit outcome. */
const errorCodes = new WeakMap<FastifyRequest, ErrorCode>();

function sendError(request: FastifyRequest, reply: FastifyReply, error: unknown, dataDir: string): FastifyReply {
  // A full or read-only data dir is the operator's to fix, not a bug: answer with what to do, not a 500.
  error = storageError(error, dataDir) ?? error;
  if (error instanceof RampartError) {
    errorCodes.set(request, error.code);
    return reply.code(error.status).send({ error: { code: error.code, message: error.message, hint: error.hint, details: error.details } });
  }
  const fastifyError = error as { statusCode?: number; code?: string; message?: string };
  if (typeof fastifyError.statusCode === "number" && fastifyError.statusCode < 500) {
    // Fastify's own 4xx: unparsable JSON, body too large, wrong content type, a too-long parameter.
    const code = frameworkErrorCode(fastifyError.statusCode);
    const message = fastifyError.message ?? "bad request";
    // Like our own validation errors, the answer names the part of the request at fault.
    const details = code === "body_too_large" ? undefined : [{ field: frameworkErrorField(fastifyError.code), message }];
    const { status, hint } = errorCatalogue[code];
    errorCodes.set(request, code);
    if (code === "body_too_large") lingerAfterRefusedBody(request, reply);
    return reply.code(status).send({ error: { code, message, hint, details } });
  }
  logger.error({ err: error }, "api: internal error");
  errorCodes.set(request, "internal");
  const { status, hint } = errorCatalogue.internal;
  return reply.code(status).send({ error: { code: "internal", message: "internal error (a bug in Rampart; see its log)", hint } });
}

/** How long the rest of a refused body is read and dropped before the connection is cut (nginx lingers 30 s). */
const LINGER_MS = 5_000;

/**
 * Fastify closes the connection after a body it refused, with the rest of the body unread: the kernel then resets
 * it, and a client still writing can lose the 413 before it reads it. Instead the connection stays open and node
 * reads the rest and drops it, as after any answer given before the body was read, for at most LINGER_MS.
 */
function lingerAfterRefusedBody(request: FastifyRequest, reply: FastifyReply): void {
  reply.removeHeader("connection");
  const raw = request.raw;
  const socket = raw.socket;
  const timer = setTimeout(() => {
    if (!raw.complete) socket.destroy();
  }, LINGER_MS);
  timer.unref();
  socket.once("close", () => clearTimeout(timer));
}

/** Our code for one of Fastify's own 4xx statuses; any other 4xx it may raise is a bad request. */
function frameworkErrorCode(status: number): ErrorCode {
  if (status === 404) return "not_found";
  if (status === 413) return "body_too_large";
  if (status === 414) return "url_too_long";
  if (status === 415) return "unsupported_media_type";
  return "invalid_request";
}

/** Which part of the request one of Fastify's own 4xx errors is about. */
function frameworkErrorField(code: string | undefined): string {
  if (code === "FST_ERR_CTP_INVALID_MEDIA_TYPE" || code === "FST_ERR_CTP_INVALID_TYPE") return "headers.content-type";
  if (code === "FST_ERR_CTP_INVALID_CONTENT_LENGTH") return "headers.content-length";
  if (code === "FST_ERR_BAD_URL") return "url";
  return code?.startsWith("FST_ERR_CTP") ? "body" : "request";
}

async function serveEventStream(
  request: FastifyRequest,
  reply: FastifyReply,
  run: (sink: SseSink) => Promise<void>,
  watch: Watch | undefined,
): Promise<void> {
  const raw = reply.raw;
  raw.writeHead(200, {
    "content-type": "text/event-stream",
    "cache-control": "no-cache",
    connection: "keep-alive",
    "x-accel-buffering": "no",
  });
  raw.write(": connected\n\n");
  const controller = new AbortController();
  request.raw.on("close", () => controller.abort());
  const heartbeat = setInterval(() => raw.write(": ping\n\n"), 15_000);
  const sink: SseSink = {
    closed: controller.signal,
    send(event, data, id) {
      if (controller.signal.aborted) return;
      raw.write(`${id === undefined ? "" : `id: ${id}\n`}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    },
  };
  // The stream's last event says why it ends, as an error event does; the client sees the same shape as a 401/403.
  const unwatch = watch?.((error) => {
    sink.send("error", { code: error.code, message: error.message, hint: error.hint });
    controller.abort();
    raw.end();
  });
  try {
    await run(sink);
  } catch (error) {
    const code: ErrorCode = error instanceof RampartError ? error.code : "internal";
    sink.send("error", {
      code,
      message: error instanceof Error ? error.message : String(error),
      hint: error instanceof RampartError ? error.hint : errorCatalogue.internal.hint,
    });
  } finally {
    unwatch?.();
    clearInterval(heartbeat);
    if (!raw.writableEnded) raw.end();
  }
}
