import type { FastifyInstance } from "fastify";
import type { ProtocolPlugin } from "../api/api-server.ts";
import { parseRequestPart } from "../api/validation.ts";
import type { IngestLine } from "./log-record.ts";
import { otlpAuth } from "./otlp-auth.ts";
import { isProtobuf, otlpAnswer, otlpBody, otlpRouteOptions } from "./otlp-http.ts";
import { exportLogsRequestSchema, linesFromOtlp } from "./otlp-logs.ts";
import { decodeLogsRequest, decodeTraceRequest } from "./otlp-protobuf.ts";
import { exportTraceRequestSchema, spansFromOtlp } from "./otlp-traces.ts";
import type { SpanRecord } from "./trace.types.ts";

export interface OtlpReceiverDeps {
  ingestToken: string;
  now: () => number;
  acceptLines(lines: readonly IngestLine[]): void;
  acceptSpans(spans: readonly SpanRecord[]): void;
}

/**
 * OTLP/HTTP receivers for logs and traces (`POST /v1/logs`, `POST /v1/traces`) on the API port, JSON and protobuf
 * chosen by Content-Type as the spec asks, so the official SDKs' exporters send there with OTEL_EXPORTER_OTLP_ENDPOINT
 * alone. Answers as the spec says: 200 with an empty response, or with `partialSuccess` naming what was rejected;
 * 400 for bad data (not retried).
 */
export function otlpLogsTracesProtocol(deps: OtlpReceiverDeps): ProtocolPlugin {
  return (app: FastifyInstance, access) => {
    const authorize = otlpAuth(deps.ingestToken, access);
    const options = otlpRouteOptions(app);
    app.post("/v1/traces", options, async (request, reply) => {
      await authorize(request);
      const protobuf = isProtobuf(request);
      const body = parseRequestPart(exportTraceRequestSchema, otlpBody(request, decodeTraceRequest), "body");
      const { spans, rejected } = spansFromOtlp(body);
      deps.acceptSpans(spans);
      return otlpAnswer(
        reply,
        protobuf,
        rejected === 0 ? null : { rejected, message: "spans whose resource names no service (service.name or rampart.app) were dropped" },
        "rejectedSpans",
      );
    });
    app.post("/v1/logs", options, async (request, reply) => {
      await authorize(request);
      const protobuf = isProtobuf(request);
      const body = parseRequestPart(exportLogsRequestSchema, otlpBody(request, decodeLogsRequest), "body");
      const { lines, rejected } = linesFromOtlp(body, deps.now());
      deps.acceptLines(lines);
      return otlpAnswer(
        reply,
        protobuf,
        rejected === 0
          ? null
          : { rejected, message: "log records whose resource has no rampart.env and rampart.app attributes were dropped" },
        "rejectedLogRecords",
      );
    });
  };
}
