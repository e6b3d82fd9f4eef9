import { timingSafeEqual } from "node:crypto";
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import { type ErrorCode, errorCatalogue } from "../shared/error-catalogue.ts";
import { RampartError } from "../shared/errors.ts";
import { storageError } from "../shared/storage-errors.ts";
import type { RouteAuth, RouteDefinition } from "./route-definition.ts";
import type { SseSink, StreamRouteDefinition } from "./stream-route.ts";
import { parseRequestPart } from "./validation.ts";
import { buildOpenApiDocument } from "./openapi.ts";
import { logger } from "../shared/logger.ts";
import type { Authenticator } from "../access/caller.ts";

export interface ApiServerOptions {
  routes: RouteDefinition[];
  streams: StreamRouteDefinition[];
  token: string;
  version: string;
  /** Named in the error when a request fails because the data dir is full or read-only. */
  dataDir: string;
  /**
   * Endpoints that speak someone else's protocol rather than our JSON API (Prometheus text, OTLP, OFREP with
   * ETags): each registers its own Fastify routes, using `admin` to require the platform token.
   */
  protocols?: ProtocolPlugin[];
  /** Who is calling (users, tokens, sessions); without one, only `token` is accepted, as "admin". */
  authenticator?: Authenticator;
}

export type ProtocolPlugin = (app: FastifyInstance, auth: { admin(request: FastifyRequest): string }) => void;

/** Builds (does not listen) the control-plane HTTP API from every capability's routes. */
export function buildApiServer(options: ApiServerOptions): FastifyInstance {
  const app = Fastify({
    logger: false,
    bodyLimit: 1024 * 1024,
    forceCloseConnections: true,
    routerOptions: { maxParamLength: 200 },
    // Errors Fastify raises before routing (bad URL encoding, a too-long parameter) get our error shape too.
    frameworkErrors: (error, _request, reply) => {
      sendError(reply, error, options.dataDir);
    },
  });
  const expected = Buffer.from(options.token);
  const authorize = (request: FastifyRequest): string => {
    const header = request.headers.authorization ?? "";
    const given = Buffer.from(header.startsWith("Bearer ") ? header.slice(7) : "");
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new RampartError("unauthorized", "missing or wrong bearer token");
    }
    return "admin";
  };

  const actorOf = async (auth: RouteAuth | undefined, request: FastifyRequest): Promise<string> => {
    if (auth === false) return "anonymous";
    if (typeof auth === "function") return auth(request.headers.authorization);
    if (options.authenticator) {
      const credentials = {
        authorization: request.headers.authorization,
        cookie: request.headers.cookie,
        address: request.ip,
        tls: request.protocol === "https",
      };
      return (await options.authenticator.authenticate(credentials)).actor;
    }
    return authorize(request);
  };

  app.setErrorHandler((error, _request, reply) => sendError(reply, error, options.dataDir));
  app.setNotFoundHandler((request, reply) =>
    sendError(
      reply,
      new RampartError("not_found", `no route ${request.method} ${request.url.split("?")[0]}`, {
        hint: "the OpenAPI document at /api/v1/openapi.json lists the routes",
      }),
      options.dataDir,
    ),
  );

  for (const route of options.routes) {
    app.route({
      method: route.method,
      url: route.path,
      handler: async (request, reply) => {
        const actor = await actorOf(route.auth, request);
        const params = route.params ? parseRequestPart(route.params, request.params, "params") : {};
        const query = route.query ? parseRequestPart(route.query, request.query, "query") : {};
        const body = route.body ? parseRequestPart(route.body, request.body ?? {}, "body") : {};
        const result = await route.handler({ params, query, body, actor });
        reply.code(route.status ?? 200).send(result);
      },
    });
  }

  for (const stream of options.streams) {
    app.get(stream.path, async (request, reply) => {
      await actorOf(stream.auth, request);
      const params = stream.params ? parseRequestPart(stream.params, request.params, "params") : {};
      const query = stream.query ? parseRequestPart(stream.query, request.query, "query") : {};
      await stream.check?.({ params, query });
      reply.hijack();
      const lastEventId = request.headers["last-event-id"];
      await serveEventStream(request, reply, (sink) =>
        stream.handler({ params, query, lastEventId: typeof lastEventId === "string" ? lastEventId : undefined }, sink),
      );
    });
  }

  for (const plugin of options.protocols ?? []) plugin(app, { admin: authorize });

  const openApi = buildOpenApiDocument(options.routes, options.streams, options.version);
  app.get("/api/v1/openapi.json", async (request) => {
    authorize(request);
    return openApi;
  });
  return app;
}

function sendError(reply: FastifyReply, error: unknown, dataDir: string): FastifyReply {
  // A full or read-only data dir is the operator's to fix, not a bug: answer with what to do, not a 500.
  error = storageError(error, dataDir) ?? error;
  if (error instanceof RampartError) {
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
    return reply.code(status).send({ error: { code, message, hint, details } });
  }
  logger.error({ err: error }, "api: internal error");
  const { status, hint } = errorCatalogue.internal;
  return reply.code(status).send({ error: { code: "internal", message: "internal error (a bug in Rampart; see its log)", hint } });
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

async function serveEventStream(request: FastifyRequest, reply: FastifyReply, run: (sink: SseSink) => Promise<void>): Promise<void> {
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
    clearInterval(heartbeat);
    raw.end();
  }
}
