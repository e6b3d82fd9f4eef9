import { createHash } from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { ProtocolPlugin } from "../api/api-server.ts";
import { RampartError } from "../shared/errors.ts";
import type { EvaluationContext, EvaluationResult } from "../../packages/sdk/src/flag-data.ts";
import { evaluateFlag, type CompiledFlags } from "../../packages/sdk/src/evaluator.ts";
import type { SdkTokenAuth } from "./flag-sdk-auth.ts";
import { canonical } from "./flag-writer.ts";
import type { FlagSnapshots } from "./flag-snapshots.ts";

const PING_MS = 15_000;

export interface FlagSdkProtocolDeps {
  auth: SdkTokenAuth;
  snapshots: FlagSnapshots;
  /** Told of every successful single-flag OFREP evaluation: an exposure for experiments (the SDK reports its own). */
  served?: (env: string, flag: string, variation: string, context: EvaluationContext) => void;
}

/**
 * The endpoints SDKs and OpenFeature clients call with an SDK token: the snapshot with ETag/304, the SSE stream
 * that pushes each new snapshot, and OFREP (single and bulk evaluation). They speak HTTP caching and OFREP's
 * own error shapes, which the JSON route definitions do not, hence a protocol plugin.
 */
export function flagSdkProtocol(deps: FlagSdkProtocolDeps): ProtocolPlugin {
  return (app) => {
    void app.register(async (scope: FastifyInstance) => {
      scope.get("/api/v1/flags/sdk/snapshot", async (request, reply) => {
        const env = await deps.auth.envOf(request.headers.authorization);
        const snapshot = await deps.snapshots.snapshot(env);
        const etag = `"${snapshot.version}"`;
        reply.header("etag", etag).header("cache-control", "no-cache");
        if (matchesEtag(request, etag)) return reply.code(304).send();
        return reply.code(200).send(snapshot);
      });

      scope.get("/api/v1/flags/sdk/stream", async (request, reply) => {
        const env = await deps.auth.envOf(request.headers.authorization);
        reply.hijack();
        streamSnapshots(request, reply, env, deps.snapshots);
      });
    });

    // OFREP answers errors in its own shape ({ key?, errorCode, errorDetails }), unparsable JSON included.
    void app.register(async (scope: FastifyInstance) => {
      scope.setErrorHandler((error, request, reply) => {
        // A single-flag failure names its flag: OFREP clients refuse a 400 body without `key`.
        const key = (request.params as { key?: unknown } | undefined)?.key;
        const named = typeof key === "string" ? { key } : {};
        if (error instanceof RampartError)
          return reply
            .code(error.status)
            .send({ ...named, errorCode: error.status === 401 ? "UNAUTHORIZED" : "GENERAL", errorDetails: error.message });
        const status = (error as { statusCode?: number }).statusCode;
        if (typeof status === "number" && status < 500)
          return reply.code(400).send({ ...named, errorCode: "PARSE_ERROR", errorDetails: `body: ${(error as Error).message}` });
        return reply.code(500).send({ ...named, errorCode: "GENERAL", errorDetails: "internal error (a bug in Rampart; see its log)" });
      });

      scope.post<{ Params: { key: string } }>("/ofrep/v1/evaluate/flags/:key", async (request, reply) => {
        const env = await deps.auth.envOf(request.headers.authorization);
        const key = request.params.key;
        const context = contextOf(request.body);
        if (typeof context === "string") return reply.code(400).send({ key, errorCode: "INVALID_CONTEXT", errorDetails: context });
        const result = evaluateFlag(await deps.snapshots.compiled(env), key, context);
        if (result.errorCode === "FLAG_NOT_FOUND")
          return reply.code(404).send({ key, errorCode: "FLAG_NOT_FOUND", errorDetails: result.errorMessage ?? `no flag ${key}` });
        if (result.errorCode !== undefined)
          return reply.code(400).send({ key, errorCode: result.errorCode, errorDetails: result.errorMessage ?? result.errorCode });
        // A bulk evaluation (web providers prefetch every flag) is not an exposure; this, the flag in use, is.
        deps.served?.(env, key, result.variation, context);
        return reply.code(200).send(ofrepSuccess(result, env));
      });

      scope.post("/ofrep/v1/evaluate/flags", async (request, reply) => {
        const env = await deps.auth.envOf(request.headers.authorization);
        const context = contextOf(request.body);
        if (typeof context === "string") return reply.code(400).send({ errorCode: "INVALID_CONTEXT", errorDetails: context });
        const compiled = await deps.snapshots.compiled(env);
        // Same version and same context give the same answers: the ETag names both, the context in canonical form
        // (sorted keys), since clients need not send its attributes in the same order twice.
        const etag = `"${compiled.version}-${createHash("sha256").update(canonical(context)).digest("hex").slice(0, 16)}"`;
        reply.header("etag", etag);
        if (matchesEtag(request, etag)) return reply.code(304).send();
        return reply.code(200).send({ flags: bulk(compiled, context, env) });
      });
    });
  };
}

function bulk(compiled: CompiledFlags, context: EvaluationContext, env: string): unknown[] {
  return [...compiled.flags.keys()].map((key) => {
    const result = evaluateFlag(compiled, key, context);
    return result.errorCode === undefined
      ? ofrepSuccess(result, env)
      : { key, errorCode: result.errorCode, errorDetails: result.errorMessage ?? result.errorCode };
  });
}

function ofrepSuccess(result: EvaluationResult, env: string) {
  return { key: result.key, value: result.value, reason: result.reason, variant: result.variation, metadata: { env } };
}

/** OFREP's `{ context: {...} }`: a flat object of primitives (nested values are not targetable and are dropped). */
function contextOf(body: unknown): EvaluationContext | string {
  if (body === undefined || body === null) return {};
  if (typeof body !== "object" || Array.isArray(body)) return 'body: expected a JSON object { "context": { "targetingKey": … } }';
  const context = (body as { context?: unknown }).context;
  if (context === undefined || context === null) return {};
  if (typeof context !== "object" || Array.isArray(context))
    return 'context: expected an object of attributes, e.g. { "targetingKey": "user-1" }';
  const flat: EvaluationContext = {};
  for (const [name, value] of Object.entries(context as Record<string, unknown>)) {
    if (value === null || typeof value === "string" || typeof value === "number" || typeof value === "boolean") flat[name] = value;
  }
  return flat;
}

function matchesEtag(request: FastifyRequest, etag: string): boolean {
  const header = request.headers["if-none-match"];
  if (typeof header !== "string") return false;
  return header.split(",").some((tag) => tag.trim().replace(/^W\//, "") === etag || tag.trim() === "*");
}

/** text/event-stream of `snapshot` events: the current one on connect, then each new version, pings between. */
function streamSnapshots(request: FastifyRequest, reply: FastifyReply, env: string, snapshots: FlagSnapshots): void {
  const raw = reply.raw;
  raw.writeHead(200, {
    "content-type": "text/event-stream",
    "cache-control": "no-cache",
    connection: "keep-alive",
    "x-accel-buffering": "no",
  });
  let lastVersion = -1;
  const send = (snapshot: { version: number }) => {
    // A rebuild that raced a newer one must not send an older version after it.
    if (snapshot.version <= lastVersion || raw.writableEnded) return;
    lastVersion = snapshot.version;
    raw.write(`id: ${snapshot.version}\nevent: snapshot\ndata: ${JSON.stringify(snapshot)}\n\n`);
  };
  const unsubscribe = snapshots.subscribe(env, send);
  const ping = setInterval(() => raw.write(": ping\n\n"), PING_MS);
  const close = () => {
    unsubscribe();
    clearInterval(ping);
    if (!raw.writableEnded) raw.end();
  };
  request.raw.on("close", close);
  raw.on("error", close);
  snapshots.snapshot(env).then(send, close);
}
