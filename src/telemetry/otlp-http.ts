import { PassThrough, type Readable } from "node:stream";
import { createGunzip } from "node:zlib";
import type { FastifyInstance, FastifyReply, FastifyRequest, preParsingHookHandler } from "fastify";
import { RampartError } from "../shared/errors.ts";
import { jsonDepthOver } from "./otlp-json.ts";
import { encodeExportResponse } from "./otlp-protobuf.ts";
import { ProtobufError } from "./protobuf-reader.ts";

/**
 * What the three OTLP/HTTP receivers (`/v1/traces`, `/v1/logs`, `/v1/metrics`) share: the body limit, the
 * protobuf body parser, gzip, JSON-or-protobuf bodies with their errors, and the spec's answers.
 */

// The OTLP spec's limit for one request; larger bodies are answered 413.
const BODY_LIMIT = 64 * 1024 * 1024;
const PROTOBUF = "application/x-protobuf";
// Deeper than any real export (attribute values nest a few levels), shallow enough for the recursive schemas.
const MAX_JSON_DEPTH = 64;

/** Registers the protobuf body parser once (several OTLP plugins share one server) and returns the route options. */
export function otlpRouteOptions(app: FastifyInstance): { bodyLimit: number; preParsing: preParsingHookHandler } {
  if (!app.hasContentTypeParser(PROTOBUF))
    app.addContentTypeParser(PROTOBUF, { parseAs: "buffer", bodyLimit: BODY_LIMIT }, (_request, body, done) => done(null, body));
  return { bodyLimit: BODY_LIMIT, preParsing: otlpContentEncoding };
}

export function isProtobuf(request: FastifyRequest): boolean {
  return (request.headers["content-type"] ?? "").startsWith(PROTOBUF);
}

/** The request's body as the OTLP JSON shape: decoded from protobuf, or the JSON as sent; 400/415 naming the field. */
export function otlpBody(request: FastifyRequest, decode: (body: Buffer) => unknown): unknown {
  return isProtobuf(request) ? protobufBody(request, decode) : jsonBody(request);
}

/** 200 with an empty answer, or `partialSuccess` naming what was rejected, in the request's encoding. */
export function otlpAnswer(
  reply: FastifyReply,
  protobuf: boolean,
  partial: { rejected: number; message: string } | null,
  rejectedKey: string,
): FastifyReply {
  if (protobuf) return reply.code(200).header("content-type", PROTOBUF).send(encodeExportResponse(partial));
  const body = partial === null ? {} : { partialSuccess: { [rejectedKey]: String(partial.rejected), errorMessage: partial.message } };
  return reply.code(200).header("content-type", "application/json").send(body);
}

/**
 * OTLP/HTTP exporters may gzip their bodies (`Content-Encoding: gzip`, the spec's one compression); the body
 * limit then bounds the decompressed size, so a small bomb cannot grow past it. Anything else is a 415.
 */
const otlpContentEncoding: preParsingHookHandler = (request, _reply, payload, done) => {
  const encoding = (request.headers["content-encoding"] ?? "identity").toLowerCase().trim();
  if (encoding === "identity" || encoding === "") return done(null, payload);
  if (encoding !== "gzip") {
    const message = `OTLP/HTTP bodies may be sent as they are or with Content-Encoding: gzip, not ${encoding}`;
    // Read the body before answering, so the keep-alive connection stays usable for the client's next request.
    return discard(payload, () =>
      done(new RampartError("unsupported_media_type", message, { details: [{ field: "headers.content-encoding", message }] })),
    );
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

function refuseBadGzip(request: FastifyRequest): void {
  const reason = badGzip.get(request);
  if (reason !== undefined)
    throw new RampartError("invalid_request", `invalid body: not valid gzip (${reason})`, {
      details: [{ field: "body", message: "not valid gzip" }],
    });
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

function protobufBody(request: FastifyRequest, decode: (body: Buffer) => unknown): unknown {
  refuseBadGzip(request);
  try {
    return decode(Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0));
  } catch (error) {
    if (!(error instanceof ProtobufError)) throw error;
    throw new RampartError("invalid_request", `invalid body: not an OTLP protobuf message (${error.message})`, {
      details: [{ field: "body", message: error.message }],
    });
  }
}

/** The JSON body of an OTLP request: 415 for other content types, 400 when nested too deep. */
function jsonBody(request: FastifyRequest): unknown {
  refuseBadGzip(request);
  const type = request.headers["content-type"] ?? "";
  if (!type.startsWith("application/json")) {
    const message = `OTLP/HTTP takes application/json or ${PROTOBUF}, not ${type || "no content type"}`;
    throw new RampartError("unsupported_media_type", message, { details: [{ field: "headers.content-type", message }] });
  }
  const body = request.body ?? {};
  if (jsonDepthOver(body, MAX_JSON_DEPTH)) {
    throw new RampartError("invalid_request", `invalid body: nested deeper than ${MAX_JSON_DEPTH} levels`, {
      details: [{ field: "body", message: `nested deeper than ${MAX_JSON_DEPTH} levels` }],
    });
  }
  return body;
}
