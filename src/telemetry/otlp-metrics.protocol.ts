import type { FastifyInstance } from "fastify";
import type { ProtocolPlugin } from "../api/api-server.ts";
import { parseRequestPart } from "../api/validation.ts";
import { otlpAuth } from "./otlp-auth.ts";
// The same body handling as logs and traces, the JSON depth limit included: without it a few hundred levels of
// nested attribute values overflowed the stack in the recursive schema (a 500 for bad input).
import { isProtobuf, otlpAnswer, otlpBody, otlpRouteOptions } from "./otlp-http.ts";
import { decodeMetricsRequest } from "./otlp-metrics-protobuf.ts";
import { exportMetricsRequestSchema, type OtlpMetricsIngest } from "./otlp-metrics.ts";

const REJECTED_MESSAGE = "data points older than an hour, or whose bucketCounts do not match explicitBounds, were dropped";

/**
 * `POST /v1/metrics` (OTLP/HTTP, JSON or protobuf by Content-Type) on the API port, authorised by the ingest token
 * or the platform token. 200 with `{}` (or an empty protobuf response), or with `partialSuccess.rejectedDataPoints`
 * for points that could not be filed; 400 naming the field of a malformed body; 415 for other content types.
 */
export function otlpMetricsProtocol(deps: { ingest: OtlpMetricsIngest; ingestToken: string; now: () => number }): ProtocolPlugin {
  return (app: FastifyInstance, access) => {
    const authorize = otlpAuth(deps.ingestToken, access);
    const options = otlpRouteOptions(app);
    app.post("/v1/metrics", options, async (request, reply) => {
      await authorize(request);
      const protobuf = isProtobuf(request);
      const body = parseRequestPart(exportMetricsRequestSchema, otlpBody(request, decodeMetricsRequest), "body");
      const { rejected } = deps.ingest.ingest(body, deps.now());
      return otlpAnswer(reply, protobuf, rejected === 0 ? null : { rejected, message: REJECTED_MESSAGE }, "rejectedDataPoints");
    });
  };
}
