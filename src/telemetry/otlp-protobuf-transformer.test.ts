import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { context, SeverityNumber, SpanKind, SpanStatusCode, trace, type AttributeValue, type Attributes } from "@opentelemetry/api";
import {
  JsonLogsSerializer,
  JsonMetricsSerializer,
  JsonTraceSerializer,
  ProtobufLogsSerializer,
  ProtobufMetricsSerializer,
  ProtobufTraceSerializer,
} from "@opentelemetry/otlp-transformer";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from "@opentelemetry/sdk-logs";
import { AggregationTemporality, MeterProvider, MetricReader } from "@opentelemetry/sdk-metrics";
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from "@opentelemetry/sdk-trace";
import fc from "fast-check";
import { decodeMetricsRequest } from "./otlp-metrics-protobuf.ts";
import { decodeLogsRequest, decodeTraceRequest } from "./otlp-protobuf.ts";

/**
 * Rampart's OTLP protobuf decoder held to the OpenTelemetry JS serializers (issue 19): the SDK's own objects are
 * serialized by @opentelemetry/otlp-transformer to protobuf, decoded by Rampart, and compared field by field with
 * the same objects through the transformer's JSON serializer, over every field Rampart reads. The two encodings
 * differ only in representation, which `norm` removes: 64-bit integers are numbers in the transformer's JSON and
 * decimal strings in Rampart's (as the OTLP JSON spec has them), and proto3 leaves default values off the wire.
 */

type Value = unknown;

function record(value: Value): Record<string, Value> {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, Value>) : {};
}

function list(value: Value): Value[] {
  return Array.isArray(value) ? value : [];
}

/** An AnyValue as a tagged tuple, the integer as a decimal string. */
function anyValue(value: Value): Value {
  const v = record(value);
  if ("stringValue" in v) return ["string", v.stringValue];
  if ("boolValue" in v) return ["bool", v.boolValue];
  if ("intValue" in v) return ["int", int(v.intValue)];
  if ("doubleValue" in v) return ["double", Number(v.doubleValue)];
  if ("bytesValue" in v) return ["bytes", v.bytesValue];
  if ("arrayValue" in v) return ["array", list(record(v.arrayValue).values).map(anyValue)];
  if ("kvlistValue" in v) return ["kvlist", attributes(record(v.kvlistValue).values)];
  return ["empty"];
}

function attributes(value: Value): Value[] {
  return list(value).map((kv) => [record(kv).key, anyValue(record(kv).value)]);
}

/** The items of a body's first resource's first scope, as decoded. */
function firstScope(body: Value, key: string, scopeKey: string, itemsKey: string): Record<string, Value>[] {
  return list(record(list(record(list(record(body)[key])[0])[scopeKey])[0])[itemsKey]).map(record);
}

const str = (value: Value) => (value === undefined ? "" : String(value));
// A JSON number's exact integer (String(2 ** 54 + 2) would print the shortest round-trip form instead).
const int = (value: Value) => (typeof value === "number" ? BigInt(value).toString() : String(value));
const num = (value: Value) => (value === undefined ? 0 : Number(value));

function resources<T>(body: Value, key: string, scopeKey: string, itemsKey: string, item: (v: Value) => T): Value {
  return list(record(body)[key]).map((rs) => ({
    resource: attributes(record(record(rs).resource).attributes),
    scopes: list(record(rs)[scopeKey]).map((scope) => list(record(scope)[itemsKey]).map(item)),
  }));
}

function spans(body: Value): Value {
  return resources(body, "resourceSpans", "scopeSpans", "spans", (value) => {
    const s = record(value);
    return {
      traceId: s.traceId,
      spanId: s.spanId,
      parentSpanId: str(s.parentSpanId),
      name: s.name,
      kind: num(s.kind),
      start: str(s.startTimeUnixNano),
      end: str(s.endTimeUnixNano),
      attributes: attributes(s.attributes),
      status: [num(record(s.status).code), str(record(s.status).message)],
    };
  });
}

function logs(body: Value): Value {
  return resources(body, "resourceLogs", "scopeLogs", "logRecords", (value) => {
    const l = record(value);
    return {
      time: str(l.timeUnixNano),
      observed: str(l.observedTimeUnixNano),
      severityNumber: num(l.severityNumber),
      severityText: str(l.severityText),
      body: l.body === undefined ? ["empty"] : anyValue(l.body),
      attributes: attributes(l.attributes),
      traceId: str(l.traceId),
      spanId: str(l.spanId),
    };
  });
}

function metrics(body: Value): Value {
  const point = (value: Value) => {
    const p = record(value);
    return {
      attributes: attributes(p.attributes),
      time: str(p.timeUnixNano),
      asDouble: p.asDouble === undefined ? undefined : Number(p.asDouble),
      asInt: p.asInt === undefined ? undefined : int(p.asInt),
      count: p.count === undefined ? undefined : int(p.count),
      sum: p.sum === undefined ? undefined : Number(p.sum),
      bucketCounts: list(p.bucketCounts).map(int),
      explicitBounds: list(p.explicitBounds).map(Number),
    };
  };
  const points = (value: Value) =>
    value === undefined
      ? undefined
      : {
          temporality: num(record(value).aggregationTemporality),
          monotonic: record(value).isMonotonic === true,
          points: list(record(value).dataPoints).map(point),
        };
  return resources(body, "resourceMetrics", "scopeMetrics", "metrics", (value) => {
    const m = record(value);
    return { name: m.name, unit: str(m.unit), gauge: points(m.gauge), sum: points(m.sum), histogram: points(m.histogram) };
  });
}

function json(bytes: Uint8Array | undefined): Value {
  assert.ok(bytes, "the JSON serializer produced a body");
  return JSON.parse(new TextDecoder().decode(bytes)) as Value;
}

function protobuf(bytes: Uint8Array | undefined): Buffer {
  assert.ok(bytes, "the protobuf serializer produced a body");
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

const resource = resourceFromAttributes({ "service.name": "web", "rampart.release": 7, "host.arch": "amd64", weight: 0.5 });

function tracer() {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({ resource, spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  return { exporter, tracer: provider.getTracer("test", "1.0.0") };
}

// Integral doubles are sent as int64 by the SDK: beyond ±2^63 that overflows in the SDK itself, not in the decoder.
const double = fc.double({ noNaN: true, min: -(2 ** 62), max: 2 ** 62 });

/** What OTel attribute values can be (homogeneous arrays; integers in the safe range, as JavaScript numbers are). */
const attributeValue: fc.Arbitrary<AttributeValue> = fc.oneof(
  fc.string({ unit: "grapheme", maxLength: 40 }),
  fc.boolean(),
  fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }),
  double,
  fc.array(fc.string({ unit: "grapheme", maxLength: 10 }), { maxLength: 4 }),
  fc.array(fc.integer(), { maxLength: 4 }),
  fc.array(fc.boolean(), { maxLength: 4 }),
  fc.array(double, { maxLength: 4 }),
);
const attributeSet: fc.Arbitrary<Attributes> = fc.dictionary(fc.string({ unit: "grapheme", minLength: 1, maxLength: 20 }), attributeValue, {
  maxKeys: 8,
});

describe("OTLP protobuf decoding held to @opentelemetry/otlp-transformer's serializers", () => {
  it("traces: ids, parent, name, every kind, times, status and generated attributes", () => {
    fc.assert(
      fc.property(
        attributeSet,
        fc.constantFrom(SpanKind.INTERNAL, SpanKind.SERVER, SpanKind.CLIENT, SpanKind.PRODUCER, SpanKind.CONSUMER),
        fc.constantFrom(SpanStatusCode.UNSET, SpanStatusCode.OK, SpanStatusCode.ERROR),
        fc.string({ unit: "grapheme", maxLength: 30 }),
        (attrs, kind, code, name) => {
          const { exporter, tracer: t } = tracer();
          const parent = t.startSpan("GET /search", { kind: SpanKind.SERVER, startTime: [1_800_000_000, 123_456_789] });
          const child = t.startSpan(name, { kind, attributes: attrs }, trace.setSpan(context.active(), parent));
          child.setStatus(code === SpanStatusCode.ERROR ? { code, message: "payment failed: é" } : { code });
          child.end();
          parent.end([1_800_000_001, 5]);
          const finished = exporter.getFinishedSpans();
          const decoded = decodeTraceRequest(protobuf(ProtobufTraceSerializer.serializeRequest(finished)));
          assert.deepEqual(spans(decoded), spans(json(JsonTraceSerializer.serializeRequest(finished))));
          // And against the SDK's input itself, for what the encodings could both get wrong.
          const [first, second] = firstScope(decoded, "resourceSpans", "scopeSpans", "spans");
          assert.equal(first?.spanId, child.spanContext().spanId);
          assert.equal(first?.parentSpanId, parent.spanContext().spanId);
          assert.equal(first?.traceId, parent.spanContext().traceId);
          assert.equal(second?.startTimeUnixNano, "1800000000123456789");
          assert.equal(second?.endTimeUnixNano, "1800000001000000005");
        },
      ),
      { numRuns: 150 },
    );
  });

  it("logs: times, severity, string and structured bodies, attributes and trace context", async () => {
    const exporter = new InMemoryLogRecordExporter();
    const provider = new LoggerProvider({ resource, processors: [new SimpleLogRecordProcessor({ exporter })] });
    const logger = provider.getLogger("test");
    const { tracer: t } = tracer();
    const span = t.startSpan("GET /work");
    const inSpan = trace.setSpan(context.active(), span);
    logger.emit({ severityNumber: SeverityNumber.WARN, severityText: "WARN", body: "disk almost full", attributes: { percent: 93 } });
    logger.emit({
      severityNumber: SeverityNumber.ERROR,
      body: { msg: "payment failed", order: { id: 42, items: ["a", "b"] }, ok: false, ratio: 0.25, raw: new Uint8Array([0, 255, 7]) },
      attributes: { "exception.type": "TypeError", tags: ["x", "y"], retries: -3 },
      timestamp: [1_800_000_000, 1],
      observedTimestamp: [1_800_000_002, 999_999_999],
      context: inSpan,
    });
    logger.emit({ body: "" });
    span.end();
    await provider.forceFlush();
    const records = exporter.getFinishedLogRecords();
    assert.equal(records.length, 3);
    const decoded = decodeLogsRequest(protobuf(ProtobufLogsSerializer.serializeRequest(records)));
    assert.deepEqual(logs(decoded), logs(json(JsonLogsSerializer.serializeRequest(records))));
    const second = firstScope(decoded, "resourceLogs", "scopeLogs", "logRecords")[1] ?? {};
    assert.deepEqual([second.traceId, second.spanId], [span.spanContext().traceId, span.spanContext().spanId]);
    assert.deepEqual([second.timeUnixNano, second.observedTimeUnixNano], ["1800000000000000001", "1800000002999999999"]);
    assert.deepEqual(anyValue(second.body), [
      "kvlist",
      [
        ["msg", ["string", "payment failed"]],
        [
          "order",
          [
            "kvlist",
            [
              ["id", ["int", "42"]],
              [
                "items",
                [
                  "array",
                  [
                    ["string", "a"],
                    ["string", "b"],
                  ],
                ],
              ],
            ],
          ],
        ],
        ["ok", ["bool", false]],
        ["ratio", ["double", 0.25]],
        ["raw", ["bytes", "AP8H"]],
      ],
    ]);
  });

  for (const temporality of [AggregationTemporality.CUMULATIVE, AggregationTemporality.DELTA]) {
    it(`metrics (${temporality === AggregationTemporality.DELTA ? "delta" : "cumulative"}): sums, gauges and histograms with their points`, async () => {
      class Collect extends MetricReader {
        constructor() {
          super({ aggregationTemporalitySelector: () => temporality });
        }
        protected async onShutdown(): Promise<void> {}
        protected async onForceFlush(): Promise<void> {}
      }
      const reader = new Collect();
      const meter = new MeterProvider({ resource, readers: [reader] }).getMeter("test");
      const requests = meter.createCounter("http.server.requests", { unit: "{request}" });
      requests.add(3, { route: "/search", code: 200 });
      requests.add(1, { route: "/search", code: 503 });
      meter.createCounter("jobs", { valueType: 1 /* INT */ }).add(2 ** 40);
      meter.createUpDownCounter("queue.depth").add(-4.5);
      meter.createGauge("temperature", { unit: "Cel" }).record(-12.25, { room: "a" });
      const latency = meter.createHistogram("http.server.duration", { unit: "s", advice: { explicitBucketBoundaries: [0.005, 0.1, 1] } });
      for (const seconds of [0.001, 0.05, 0.05, 2.5]) latency.record(seconds, { route: "/search" });
      const { resourceMetrics } = await reader.collect();
      const decoded = decodeMetricsRequest(protobuf(ProtobufMetricsSerializer.serializeRequest(resourceMetrics)));
      const expected = metrics(json(JsonMetricsSerializer.serializeRequest(resourceMetrics)));
      assert.deepEqual(metrics(decoded), expected);
      const names = list(record(list(expected)[0]).scopes).flatMap((scope) => list(scope).map((m) => record(m).name));
      assert.deepEqual(names, ["http.server.requests", "jobs", "queue.depth", "temperature", "http.server.duration"]);
    });
  }
});
