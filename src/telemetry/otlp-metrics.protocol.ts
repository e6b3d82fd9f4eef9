import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { ProtocolPlugin } from "../api/api-server.ts";
import { parseRequestPart } from "../api/validation.ts";
import { RampartError } from "../shared/errors.ts";
import { otlpAuth } from "./otlp-auth.ts";
import { decodeMetricsRequest } from "./otlp-metrics-protobuf.ts";
import { exportMetricsRequestSchema, type OtlpMetricsIngest } from "./otlp-metrics.ts";
import { encodeExportResponse, ProtobufError } from "./otlp-protobuf.ts";
// The same JSON handling as logs and traces, the depth limit included: without it a few hundred levels of nested
// attribute values overflowed the stack in the recursive schema (a 500 for bad input).
import { jsonBody, otlpContentEncoding, refuseBadGzip } from "./otlp-receiver.ts";

const BODY_LIMIT = 64 * 1024 * 1024;
const PROTOBUF = "application/x-protobuf";
const REJECTED_MESSAGE = "data points older than an hour, or whose bucketCounts do not match explicitBounds, were dropped";

/**
 * `POST /v1/metrics` (OTLP/HTTP, JSON or protobuf by Content-Type) on the API port, authorised by the ingest token
 * or the platform token. 200 with `{}` (or an empty protobuf response), or with `partialSuccess.rejectedDataPoints`
 * for points that could not be filed; 400 naming the field of a malformed body; 415 for other content types.
 */
export function otlpMetricsProtocol(deps: { ingest: OtlpMetricsIngest; ingestToken: string; now: () => number }): ProtocolPlugin {
  return (app: FastifyInstance, auth) => {
    const authorize = otlpAuth(deps.ingestToken, auth.admin);
    // The logs/traces receiver registers the same parser; whichever plugin comes first does.
    if (!app.hasContentTypeParser(PROTOBUF)) app.addContentTypeParser(PROTOBUF, { parseAs: "buffer", bodyLimit: BODY_LIMIT }, (_request, body, done) => done(null, body));
    app.post("/v1/metrics", { bodyLimit: BODY_LIMIT, preParsing: otlpContentEncoding }, async (request, reply) => {
      authorize(request);
      const protobuf = (request.headers["content-type"] ?? "").startsWith(PROTOBUF);
      const body = parseRequestPart(exportMetricsRequestSchema, protobuf ? decoded(request) : jsonBody(request), "body");
      const { rejected } = deps.ingest.ingest(body, deps.now());
      return answer(reply, protobuf, rejected);
    });
  };
}

function decoded(request: FastifyRequest): unknown {
  refuseBadGzip(request);
  try {
    return decodeMetricsRequest(Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0));
  } catch (error) {
    if (!(error instanceof ProtobufError)) throw error;
    throw new RampartError("invalid_request", `invalid body: not an OTLP protobuf message (${error.message})`, { status: 400, details: [{ field: "body", message: error.message }] });
  }
}

function answer(reply: FastifyReply, protobuf: boolean, rejected: number): FastifyReply {
  const partial = rejected === 0 ? null : { rejected, message: REJECTED_MESSAGE };
  if (protobuf) return reply.code(200).header("content-type", PROTOBUF).send(encodeExportResponse(partial));
  return reply.code(200).header("content-type", "application/json").send(partial ? { partialSuccess: { rejectedDataPoints: String(partial.rejected), errorMessage: partial.message } } : {});
}
