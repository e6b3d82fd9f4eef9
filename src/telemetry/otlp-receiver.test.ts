import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { gzipSync } from "node:zlib";
import fc from "fast-check";
import { SeverityNumber, SpanKind, SpanStatusCode } from "@opentelemetry/api";
import { OTLPLogExporter } from "@opentelemetry/exporter-logs-otlp-proto";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-proto";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { LoggerProvider, SimpleLogRecordProcessor } from "@opentelemetry/sdk-logs";
import { SimpleSpanProcessor, TracerProvider } from "@opentelemetry/sdk-trace";
import { localOnlyAccess } from "../access/local-authenticator.ts";
import { buildApiServer } from "../api/api-server.ts";
import type { IngestLine } from "./log-record.ts";
import { otlpLogsTracesProtocol } from "./otlp-receiver.ts";
import { nanosToMs } from "./otlp-json.ts";
import { decodeLogsRequest, decodeTraceRequest, ProtobufError } from "./otlp-protobuf.ts";
import type { SpanRecord } from "./trace.types.ts";

const ADMIN = "a".repeat(43);
const INGEST = `ingest_${"b".repeat(32)}`;

function server() {
  const lines: IngestLine[] = [];
  const spans: SpanRecord[] = [];
  const app = buildApiServer({
    routes: [],
    streams: [],
    ...localOnlyAccess(ADMIN),
    version: "test",
    dataDir: "/tmp",
    protocols: [
      otlpLogsTracesProtocol({
        ingestToken: INGEST,
        now: () => 1_000,
        acceptLines: (l) => lines.push(...l),
        acceptSpans: (s) => spans.push(...s),
      }),
    ],
  });
  const post = (path: string, body: unknown, token = INGEST, type = "application/json") =>
    app.inject({
      method: "POST",
      url: path,
      headers: { authorization: `Bearer ${token}`, "content-type": type },
      payload: typeof body === "string" || Buffer.isBuffer(body) ? body : JSON.stringify(body),
    });
  return { app, lines, spans, post };
}

const resource = (attrs: Record<string, string>) => ({
  attributes: Object.entries(attrs).map(([key, value]) => ({ key, value: { stringValue: value } })),
});
const placed = resource({ "service.name": "web", "rampart.env": "production", "rampart.app": "web", "rampart.release": "4" });

describe("OTLP/HTTP JSON receivers", () => {
  it("takes gzip bodies (Content-Encoding: gzip); refuses broken gzip with a 400 and other encodings with a 415", async () => {
    const { app, spans } = server();
    const body = {
      resourceSpans: [
        {
          resource: placed,
          scopeSpans: [
            {
              spans: [
                {
                  traceId: "5b8efff798038103d269b633813fc60c",
                  spanId: "eee19b7ec3c1b174",
                  name: "GET /",
                  kind: 2,
                  startTimeUnixNano: "1544712660000000000",
                  endTimeUnixNano: "1544712661000000000",
                },
              ],
            },
          ],
        },
      ],
    };
    const send = (payload: Buffer, encoding: string) =>
      app.inject({
        method: "POST",
        url: "/v1/traces",
        headers: { authorization: `Bearer ${INGEST}`, "content-type": "application/json", "content-encoding": encoding },
        payload,
      });
    const ok = await send(gzipSync(JSON.stringify(body)), "gzip");
    assert.equal(ok.statusCode, 200, ok.body);
    assert.equal(spans.length, 1);
    const broken = await send(Buffer.from("definitely not gzip"), "gzip");
    assert.equal(broken.statusCode, 400, broken.body);
    assert.equal(broken.json().error.details[0].field, "body");
    const other = await send(Buffer.from(JSON.stringify(body)), "br");
    assert.equal(other.statusCode, 415, other.body);
    assert.equal(other.json().error.details[0].field, "headers.content-encoding");
  });

  it("stores spans sent with the ingest token or the platform token, and refuses any other", async () => {
    const { spans, post } = server();
    const body = {
      resourceSpans: [
        {
          resource: placed,
          scopeSpans: [
            {
              scope: { name: "x" },
              spans: [
                {
                  traceId: "5B8EFFF798038103D269B633813FC60C",
                  spanId: "EEE19B7EC3C1B174",
                  parentSpanId: "EEE19B7EC3C1B173",
                  name: "GET /search",
                  kind: 2,
                  startTimeUnixNano: "1544712660000000000",
                  endTimeUnixNano: "1544712661500000000",
                  attributes: [
                    { key: "http.route", value: { stringValue: "/search" } },
                    { key: "http.response.status_code", value: { intValue: "503" } },
                  ],
                  status: { code: 2 },
                  unknownField: 1,
                },
              ],
            },
          ],
        },
      ],
    };
    const ok = await post("/v1/traces", body);
    assert.equal(ok.statusCode, 200, ok.body);
    assert.deepEqual(ok.json(), {});
    assert.equal((await post("/v1/traces", body, ADMIN)).statusCode, 200);
    assert.equal((await post("/v1/traces", body, "wrong")).statusCode, 401);
    const span = spans[0];
    assert.deepEqual(
      span && [
        span.traceId,
        span.spanId,
        span.parentSpanId,
        span.env,
        span.app,
        span.release,
        span.route,
        span.httpStatus,
        span.error,
        span.startMs,
        span.durationMs,
        span.kind,
      ],
      [
        "5b8efff798038103d269b633813fc60c",
        "eee19b7ec3c1b174",
        "eee19b7ec3c1b173",
        "production",
        "web",
        4,
        "/search",
        503,
        true,
        1544712660000,
        1500,
        2,
      ],
    );
  });

  it("answers 400 naming the field for bad data, partial success for unplaceable records, 415 for protobuf", async () => {
    const { post, lines } = server();
    const bad = await post("/v1/traces", {
      resourceSpans: [
        {
          scopeSpans: [
            { spans: [{ traceId: "xyz", spanId: "EEE19B7EC3C1B174", name: "n", startTimeUnixNano: "1", endTimeUnixNano: "2" }] },
          ],
        },
      ],
    });
    assert.equal(bad.statusCode, 400);
    assert.match(bad.body, /body\.resourceSpans\.0\.scopeSpans\.0\.spans\.0\.traceId/);
    assert.equal((await post("/v1/traces", "{not json")).statusCode, 400);
    const deep = `{"resourceSpans":[{"resource":{"attributes":[{"key":"k","value":${'{"arrayValue":{"values":['.repeat(3000)}{"stringValue":"x"}${"]}}".repeat(3000)}}]}}]}`;
    const tooDeep = await post("/v1/traces", deep);
    assert.equal(tooDeep.statusCode, 400, tooDeep.body);
    assert.match(tooDeep.body, /nested deeper than 64/);
    const fine = `{"resourceSpans":[{"resource":{"attributes":[{"key":"k","value":${'{"arrayValue":{"values":['.repeat(10)}{"stringValue":"x"}${"]}}".repeat(10)}}]}}]}`;
    assert.equal((await post("/v1/traces", fine)).statusCode, 200);
    const partial = await post("/v1/logs", {
      resourceLogs: [{ resource: resource({ "service.name": "web" }), scopeLogs: [{ logRecords: [{ body: { stringValue: "x" } }] }] }],
    });
    assert.equal(partial.statusCode, 200);
    assert.equal(partial.json().partialSuccess.rejectedLogRecords, "1");
    assert.equal(lines.length, 0);
    const garbage = await post("/v1/logs", "\u0000", INGEST, "application/x-protobuf");
    assert.equal(garbage.statusCode, 400);
    assert.match(garbage.body, /not an OTLP protobuf message/);
    assert.equal((await post("/v1/logs", "x", INGEST, "text/plain")).statusCode, 415);
  });

  it("turns log records into lines with level, labels, and attributes and trace id as JSON fields", async () => {
    const { post, lines } = server();
    const response = await post("/v1/logs", {
      resourceLogs: [
        {
          resource: placed,
          scopeLogs: [
            {
              logRecords: [
                {
                  timeUnixNano: "1700000000123000000",
                  severityNumber: 17,
                  severityText: "ERROR",
                  body: { stringValue: "card declined" },
                  attributes: [{ key: "order", value: { intValue: 42 } }],
                  traceId: "5b8efff798038103d269b633813fc60c",
                  spanId: "eee19b7ec3c1b174",
                },
                { severityText: "warn", body: { stringValue: "plain" } },
              ],
            },
          ],
        },
      ],
    });
    assert.equal(response.statusCode, 200, response.body);
    assert.deepEqual(lines[0], {
      labels: { env: "production", app: "web", release: 4, instance: "web", stream: "otlp" },
      time: 1700000000123,
      level: 50,
      text: JSON.stringify({
        level: "error",
        msg: "card declined",
        order: 42,
        trace_id: "5b8efff798038103d269b633813fc60c",
        span_id: "eee19b7ec3c1b174",
      }),
    });
    assert.deepEqual([lines[1]?.text, lines[1]?.level, lines[1]?.time], ["plain", 40, 1_000]);
  });

  it("converts nanosecond strings without losing milliseconds", () => {
    assert.equal(nanosToMs("1544712660123456789"), 1544712660123.4568);
    assert.equal(nanosToMs("999"), 0.000999);
  });
});

describe("OTLP/HTTP protobuf from the official exporters", () => {
  it("stores spans and log records sent by exporter-trace-otlp-proto and exporter-logs-otlp-proto", async () => {
    const { app, spans, lines } = server();
    await app.listen({ host: "127.0.0.1", port: 0 });
    try {
      const address = app.server.address();
      const base = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
      const headers = { authorization: `Bearer ${INGEST}` };
      const resource = resourceFromAttributes({
        "service.name": "web",
        "rampart.env": "production",
        "rampart.app": "web",
        "rampart.release": "7",
      });
      const tracing = new TracerProvider({
        resource,
        spanProcessors: [new SimpleSpanProcessor({ exporter: new OTLPTraceExporter({ url: `${base}/v1/traces`, headers }) })],
      });
      const tracer = tracing.getTracer("test");
      const parent = tracer.startSpan("GET /search", {
        kind: SpanKind.SERVER,
        attributes: { "http.route": "/search", "http.response.status_code": 500, ratio: 0.5, ok: false, tags: ["a", "b"] },
      });
      parent.setStatus({ code: SpanStatusCode.ERROR, message: "boom" });
      parent.end();
      await tracing.forceFlush();
      await tracing.shutdown();
      const logging = new LoggerProvider({
        resource,
        processors: [new SimpleLogRecordProcessor({ exporter: new OTLPLogExporter({ url: `${base}/v1/logs`, headers }) })],
      });
      logging.getLogger("test").emit({ severityNumber: SeverityNumber.WARN, body: "disk almost full", attributes: { percent: 93 } });
      await logging.forceFlush();
      await logging.shutdown();

      const span = spans[0];
      assert.ok(span, "a span arrived");
      assert.equal(span.traceId, parent.spanContext().traceId);
      assert.equal(span.spanId, parent.spanContext().spanId);
      assert.deepEqual(
        [span.parentSpanId, span.name, span.kind, span.env, span.app, span.release, span.route, span.httpStatus, span.error],
        [null, "GET /search", 2, "production", "web", 7, "/search", 500, true],
      );
      assert.deepEqual(
        [span.attributes.ratio, span.attributes.ok, span.attributes.tags, span.attributes["status.message"]],
        [0.5, false, ["a", "b"], "boom"],
      );
      assert.ok(span.durationMs >= 0 && Math.abs(span.startMs - Date.now()) < 60_000);
      assert.deepEqual(
        lines.map((l) => [l.level, l.labels.stream, JSON.parse(l.text)]),
        [[40, "otlp", { level: "warn", msg: "disk almost full", percent: 93 }]],
      );
    } finally {
      await app.close();
    }
  });
});

describe("OTLP input that is not what it claims", () => {
  it("random or hostile protobuf bytes are decoded or refused with ProtobufError, and answered 200 or 400, never 5xx", async () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        for (const decode of [decodeTraceRequest, decodeLogsRequest]) {
          try {
            decode(Buffer.from(bytes));
          } catch (error) {
            assert.ok(error instanceof ProtobufError, String(error));
          }
        }
      }),
      { numRuns: 2000 },
    );
    // Attribute values nested 10,000 deep: refused, not a stack overflow.
    let nested = Buffer.from([0x0a, 0x00]); // AnyValue{string_value: ""}
    for (let i = 0; i < 10_000; i++)
      nested = Buffer.concat([Buffer.from([0x2a]), lengthPrefix(Buffer.concat([Buffer.from([0x0a]), lengthPrefix(nested)]))]);
    const keyValue = Buffer.concat([Buffer.from([0x0a, 0x01, 0x6b, 0x12]), lengthPrefix(nested)]);
    const resource = Buffer.concat([Buffer.from([0x0a]), lengthPrefix(keyValue)]);
    const request = Buffer.concat([Buffer.from([0x0a]), lengthPrefix(Buffer.concat([Buffer.from([0x0a]), lengthPrefix(resource)]))]);
    assert.throws(() => decodeTraceRequest(request), /nested deeper/);
    const { post } = server();
    const samples = fc.sample(fc.uint8Array({ maxLength: 200 }), 200).map((b) => Buffer.from(b));
    for (const body of [...samples, request]) {
      for (const path of ["/v1/traces", "/v1/logs"]) {
        const response = await post(path, body, INGEST, "application/x-protobuf");
        assert.ok(response.statusCode === 200 || response.statusCode === 400, `${path}: ${response.statusCode} ${response.body}`);
      }
    }
  });
});

function lengthPrefix(data: Buffer): Buffer {
  const bytes: number[] = [];
  let v = data.length;
  while (v > 0x7f) {
    bytes.push((v & 0x7f) | 0x80);
    v >>>= 7;
  }
  bytes.push(v);
  return Buffer.concat([Buffer.from(bytes), data]);
}

describe("retention settings from the environment", () => {
  it("reads ages, size and span count, and names the variable of a bad value", async () => {
    const { limitsFromEnv } = await import("./log-trace.limits.ts");
    assert.deepEqual(
      limitsFromEnv({
        RAMPART_LOG_RETENTION: "36h",
        RAMPART_LOG_MAX_SIZE: "500mb",
        RAMPART_TRACE_RETENTION: "2d",
        RAMPART_TRACE_MAX_SPANS: "1000",
      }),
      {
        logMaxAgeMs: 36 * 3_600_000,
        logMaxBytes: 500 * 1024 ** 2,
        traceMaxAgeMs: 2 * 86_400_000,
        traceMaxSpans: 1000,
      },
    );
    assert.deepEqual(limitsFromEnv({}), { logMaxAgeMs: undefined, traceMaxAgeMs: undefined });
    assert.throws(() => limitsFromEnv({ RAMPART_LOG_RETENTION: "7 days" }), /RAMPART_LOG_RETENTION: "7 days" is not a retention/);
    assert.throws(() => limitsFromEnv({ RAMPART_LOG_MAX_SIZE: "lots" }), /RAMPART_LOG_MAX_SIZE/);
    assert.throws(() => limitsFromEnv({ RAMPART_TRACE_MAX_SPANS: "-1" }), /RAMPART_TRACE_MAX_SPANS/);
  });
});
