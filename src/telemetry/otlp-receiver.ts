import { PassThrough, type Readable } from "node:stream";
import { createGunzip } from "node:zlib";
import type { FastifyInstance, FastifyReply, FastifyRequest, preParsingHookHandler } from "fastify";
import type { ProtocolPlugin } from "../api/api-server.ts";
import { parseRequestPart } from "../api/validation.ts";
import { RampartError } from "../shared/errors.ts";
import type { IngestLine } from "./log-record.ts";
import { otlpAuth } from "./otlp-auth.ts";
import { jsonDepthOver } from "./otlp-json.ts";
import { exportLogsRequestSchema, linesFromOtlp } from "./otlp-logs.ts";
import { decodeLogsRequest, decodeTraceRequest, encodeExportResponse, ProtobufError } from "./otlp-protobuf.ts";
import { exportTraceRequestSchema, spansFromOtlp } from "./otlp-traces.ts";
import type { SpanRecord } from "./trace.types.ts";

export interface OtlpReceiverDeps {
  ingestToken: string;
  now: () => number;
  acceptLines(lines: readonly IngestLine[]): void;
  acceptSpans(spans: readonly SpanRecord[]): void;
}

// The OTLP spec's limit for one request; larger bodies are answered 413.
const BODY_LIMIT = 64 * 1024 * 1024;
const PROTOBUF = "application/x-protobuf";
// Deeper than any real export (attribute values nest a few levels), shallow enough for the recursive schemas.
const MAX_JSON_DEPTH = 64;

/**
 * OTLP/HTTP receivers for logs and traces (`POST /v1/logs`, `POST /v1/traces`) on the API port, JSON and protobuf
 * chosen by Content-Type as the spec asks, so the official SDKs' exporters send there with OTEL_EXPORTER_OTLP_ENDPOINT
 * alone. Answers as the spec says: 200 with an empty response, or with `partialSuccess` naming what was rejected;
 * 400 for bad data (not retried).
 */
export function otlpLogsTracesProtocol(deps: OtlpReceiverDeps): ProtocolPlugin {
  return (app: FastifyInstance, auth) => {
    const authorize = otlpAuth(deps.ingestToken, auth.admin);
    // Another OTLP receiver (/v1/metrics) may have registered the protobuf parser already.
    if (!app.hasContentTypeParser(PROTOBUF)) app.addContentTypeParser(PROTOBUF, { parseAs: "buffer", bodyLimit: BODY_LIMIT }, (_request, body, done) => done(null, body));
    app.post("/v1/traces", { bodyLimit: BODY_LIMIT, preParsing: otlpContentEncoding }, async (request, reply) => {
      authorize(request);
      const protobuf = isProtobuf(request);
      const body = parseRequestPart(exportTraceRequestSchema, protobuf ? decoded(request, decodeTraceRequest) : jsonBody(request), "body");
      const { spans, rejected } = spansFromOtlp(body);
      deps.acceptSpans(spans);
      return answer(reply, protobuf, rejected === 0 ? null : { rejected, message: "spans whose resource names no service (service.name or rampart.app) were dropped" }, "rejectedSpans");
    });
    app.post("/v1/logs", { bodyLimit: BODY_LIMIT, preParsing: otlpContentEncoding }, async (request, reply) => {
      authorize(request);
      const protobuf = isProtobuf(request);
      const body = parseRequestPart(exportLogsRequestSchema, protobuf ? decoded(request, decodeLogsRequest) : jsonBody(request), "body");
      const { lines, rejected } = linesFromOtlp(body, deps.now());
      deps.acceptLines(lines);
      return answer(reply, protobuf, rejected === 0 ? null : { rejected, message: "log records whose resource has no rampart.env and rampart.app attributes were dropped" }, "rejectedLogRecords");
    });
  };
}

/**
 * OTLP/HTTP exporters may gzip their bodies (`Content-Encoding: gzip`, the spec's one compression); the body
 * limit then bounds the decompressed size, so a small bomb cannot grow past it. Anything else is a 415.
 */
export const otlpContentEncoding: preParsingHookHandler = (request, _reply, payload, done) => {
  const encoding = (request.headers["content-encoding"] ?? "identity").toLowerCase().trim();
  if (encoding === "identity" || encoding === "") return done(null, payload);
  if (encoding !== "gzip") {
    const message = `OTLP/HTTP bodies may be sent as they are or with Content-Encoding: gzip, not ${encoding}`;
    // Read the body before answering, so the keep-alive connection stays usable for the client's next request.
    return discard(payload, () => done(new RampartError("unsupported_media_type", message, { status: 415, details: [{ field: "headers.content-encoding", message }] })));
  }
  const gunzip = createGunzip();
  const out = new PassThrough() as PassThrough & { receivedEncodedLength: number };
  // Fastify compares Content-Length with the bytes that came over the wire, not the decompressed ones.
  out.receivedEncodedLength = 0;
  payload.on("data", (chunk: Buffer) => (out.receivedEncodedLength += chunk.length));
  payload.on("error", (error) => out.destroy(error));
  // A broken gzip stream is the client's error: the body is read to its end and the route answers 400 naming
  // it. Erroring the stream instead would make the server close the client's keep-alive connection.
  gunzip.on("error", (error) => {
    payload.unpipe(gunzip);
    badGzip.set(request, error.message);
    discard(payload, () => out.end(PLACEHOLDER_BODY));
  });
  payload.pipe(gunzip).pipe(out);
  done(null, out);
};

/** Requests whose gzip body did not decompress; their route answers 400 (see otlpContentEncoding). */
const badGzip = new WeakMap<FastifyRequest, string>();
/** What a body that failed to decompress is replaced by: parses as JSON, never reaches a decoder. */
const PLACEHOLDER_BODY = "{}";

export function refuseBadGzip(request: FastifyRequest): void {
  const reason = badGzip.get(request);
  if (reason !== undefined) throw new RampartError("invalid_request", `invalid body: not valid gzip (${reason})`, { status: 400, details: [{ field: "body", message: "not valid gzip" }] });
}

/** Reads and drops the rest of a body (at most the body limit; beyond it the connection is not worth keeping). */
function discard(payload: Readable, then: () => void): void {
  let called = false;
  const once = (): void => {
    if (called) return;
    called = true;
    payload.removeListener("data", onData);
    then();
  };
  let seen = 0;
  const onData = (chunk: Buffer): void => {
    seen += chunk.length;
    if (seen > BODY_LIMIT) once();
  };
  if (payload.readableEnded || payload.destroyed) return once();
  payload.on("data", onData);
  payload.once("end", once);
  payload.once("error", once);
  payload.once("close", once);
  payload.resume();
}

function isProtobuf(request: FastifyRequest): boolean {
  return (request.headers["content-type"] ?? "").startsWith(PROTOBUF);
}

function decoded(request: FastifyRequest, decode: (body: Buffer) => unknown): unknown {
  refuseBadGzip(request);
  try {
    return decode(Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0));
  } catch (error) {
    if (!(error instanceof ProtobufError)) throw error;
    throw new RampartError("invalid_request", `invalid body: not an OTLP protobuf message (${error.message})`, { status: 400, details: [{ field: "body", message: error.message }] });
  }
}

/** The JSON body of an OTLP request (shared with /v1/metrics): 415 for other content types, 400 when nested too deep. */
export function jsonBody(request: FastifyRequest): unknown {
  refuseBadGzip(request);
  const type = request.headers["content-type"] ?? "";
  if (!type.startsWith("application/json")) {
    const message = `OTLP/HTTP takes application/json or ${PROTOBUF}, not ${type || "no content type"}`;
    throw new RampartError("unsupported_media_type", message, { status: 415, details: [{ field: "headers.content-type", message }] });
  }
  const body = request.body ?? {};
  if (jsonDepthOver(body, MAX_JSON_DEPTH)) {
    throw new RampartError("invalid_request", `invalid body: nested deeper than ${MAX_JSON_DEPTH} levels`, { status: 400, details: [{ field: "body", message: `nested deeper than ${MAX_JSON_DEPTH} levels` }] });
  }
  return body;
}

function answer(reply: FastifyReply, protobuf: boolean, partial: { rejected: number; message: string } | null, rejectedKey: string): FastifyReply {
  if (protobuf) return reply.code(200).header("content-type", PROTOBUF).send(encodeExportResponse(partial));
  const body = partial === null ? {} : { partialSuccess: { [rejectedKey]: String(partial.rejected), errorMessage: partial.message } };
  return reply.code(200).header("content-type", "application/json").send(body);
}
