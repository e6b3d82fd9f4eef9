import fc from "fast-check";
import type { AnyValueJson, KeyValueJson } from "../telemetry/otlp-json.ts";

/**
 * Valid OTLP/HTTP export requests (traces, logs, metrics) in the JSON encoding, the same requests in protobuf
 * (a small writer with the field numbers of opentelemetry-proto, independent of Rampart's reader), and the ways
 * to spoil them: one value anywhere replaced by something of the wrong kind, huge, negative, NaN-ish or nested
 * thousands deep; bytes flipped, cut off or appended.
 */

export type Signal = "traces" | "logs" | "metrics";
type Json = Record<string, unknown>;

// ---- the protobuf writer ----

function varint(value: bigint): Buffer {
  const bytes: number[] = [];
  let v = BigInt.asUintN(64, value);
  while (v > 0x7fn) {
    bytes.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  bytes.push(Number(v));
  return Buffer.from(bytes);
}
const tag = (n: number, wire: number) => varint(BigInt((n << 3) | wire));
const lenField = (n: number, payload: Buffer) => Buffer.concat([tag(n, 2), varint(BigInt(payload.length)), payload]);
const str = (n: number, s: string | undefined) => (s === undefined ? Buffer.alloc(0) : lenField(n, Buffer.from(s, "utf8")));
const hexField = (n: number, s: unknown) => (typeof s === "string" ? lenField(n, Buffer.from(s, "hex")) : Buffer.alloc(0));
const msg = (n: number, parts: Buffer[]) => lenField(n, Buffer.concat(parts));
const vint = (n: number, v: number | bigint | boolean | undefined) =>
  v === undefined ? Buffer.alloc(0) : Buffer.concat([tag(n, 0), varint(BigInt(typeof v === "boolean" ? Number(v) : v))]);
function fixed64(n: number, v: string | number | undefined): Buffer {
  if (v === undefined) return Buffer.alloc(0);
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt.asUintN(64, BigInt(v)));
  return Buffer.concat([tag(n, 1), b]);
}
function double(n: number, v: number | string | undefined): Buffer {
  if (v === undefined) return Buffer.alloc(0);
  const b = Buffer.alloc(8);
  b.writeDoubleLE(Number(v));
  return Buffer.concat([tag(n, 1), b]);
}

function anyValue(v: AnyValueJson): Buffer[] {
  if (v.stringValue !== undefined) return [str(1, v.stringValue)];
  if (v.boolValue !== undefined) return [vint(2, v.boolValue)];
  if (v.intValue !== undefined) return [vint(3, BigInt(v.intValue))];
  if (v.doubleValue !== undefined) return [double(4, v.doubleValue)];
  if (v.arrayValue !== undefined)
    return [
      msg(
        5,
        (v.arrayValue.values ?? []).map((x) => msg(1, anyValue(x))),
      ),
    ];
  if (v.kvlistValue !== undefined)
    return [
      msg(
        6,
        (v.kvlistValue.values ?? []).map((kv) => msg(1, keyValue(kv))),
      ),
    ];
  if (v.bytesValue !== undefined) return [lenField(7, Buffer.from(v.bytesValue, "base64"))];
  return [];
}
const keyValue = (kv: KeyValueJson) => [str(1, kv.key), ...(kv.value ? [msg(2, anyValue(kv.value))] : [])];
const attributes = (n: number, list: unknown) => ((list ?? []) as KeyValueJson[]).map((kv) => msg(n, keyValue(kv)));

function span(s: Json): Buffer[] {
  const status = s.status as Json | undefined;
  return [
    hexField(1, s.traceId),
    hexField(2, s.spanId),
    hexField(4, s.parentSpanId),
    str(5, s.name as string),
    vint(6, s.kind as number),
    fixed64(7, s.startTimeUnixNano as string),
    fixed64(8, s.endTimeUnixNano as string),
    ...attributes(9, s.attributes),
    ...(status ? [msg(15, [str(2, status.message as string), vint(3, status.code as number)])] : []),
  ];
}
function logRecord(l: Json): Buffer[] {
  return [
    fixed64(1, l.timeUnixNano as string),
    vint(2, l.severityNumber as number),
    str(3, l.severityText as string),
    ...(l.body ? [msg(5, anyValue(l.body as AnyValueJson))] : []),
    ...attributes(6, l.attributes),
    hexField(9, l.traceId),
    hexField(10, l.spanId),
    fixed64(11, l.observedTimeUnixNano as string),
  ];
}
function numberPoint(p: Json): Buffer[] {
  return [
    ...attributes(7, p.attributes),
    fixed64(3, p.timeUnixNano as string),
    double(4, p.asDouble as number),
    ...(p.asInt === undefined
      ? []
      : [
          Buffer.concat([
            tag(6, 1),
            (() => {
              const b = Buffer.alloc(8);
              b.writeBigInt64LE(BigInt(p.asInt as string));
              return b;
            })(),
          ]),
        ]),
  ];
}
function histogramPoint(p: Json): Buffer[] {
  const packed = (n: number, values: unknown[], write: (b: Buffer, v: unknown) => void) =>
    lenField(
      n,
      Buffer.concat(
        values.map((v) => {
          const b = Buffer.alloc(8);
          write(b, v);
          return b;
        }),
      ),
    );
  return [
    ...attributes(9, p.attributes),
    fixed64(3, p.timeUnixNano as string),
    fixed64(4, p.count as string),
    double(5, p.sum as number),
    packed(6, (p.bucketCounts ?? []) as unknown[], (b, v) => b.writeBigUInt64LE(BigInt(v as string))),
    packed(7, (p.explicitBounds ?? []) as unknown[], (b, v) => b.writeDoubleLE(v as number)),
  ];
}
function metric(m: Json): Buffer[] {
  const points = (n: number, body: Json, point: (p: Json) => Buffer[]) =>
    msg(n, [
      ...((body.dataPoints ?? []) as Json[]).map((p) => msg(1, point(p))),
      vint(2, body.aggregationTemporality as number),
      vint(3, body.isMonotonic as boolean),
    ]);
  return [
    str(1, m.name as string),
    str(3, m.unit as string),
    ...(m.gauge ? [points(5, m.gauge as Json, numberPoint)] : []),
    ...(m.sum ? [points(7, m.sum as Json, numberPoint)] : []),
    ...(m.histogram ? [points(9, m.histogram as Json, histogramPoint)] : []),
  ];
}

const LAYOUT = {
  traces: ["resourceSpans", "scopeSpans", "spans", span],
  logs: ["resourceLogs", "scopeLogs", "logRecords", logRecord],
  metrics: ["resourceMetrics", "scopeMetrics", "metrics", metric],
} as const;

/** A valid JSON-encoded export request → the same request in protobuf. */
export function toProtobuf(signal: Signal, body: Json): Buffer {
  const [resourceKey, scopeKey, itemsKey, item] = LAYOUT[signal];
  return Buffer.concat(
    ((body[resourceKey] ?? []) as Json[]).map((r) =>
      msg(1, [
        ...(r.resource ? [msg(1, attributes(1, (r.resource as Json).attributes))] : []),
        ...((r[scopeKey] ?? []) as Json[]).map((s) =>
          msg(
            2,
            ((s[itemsKey] ?? []) as Json[]).map((x) => msg(2, (item as (x: Json) => Buffer[])(x))),
          ),
        ),
      ]),
    ),
  );
}

// ---- valid JSON requests ----

const hex = (bytes: number) => fc.uint8Array({ minLength: bytes, maxLength: bytes }).map((b) => Buffer.from(b).toString("hex"));
const shortText = fc.oneof(fc.constantFrom("web", "api", "GET /", "checkout", "é", "😀", ""), fc.string({ maxLength: 12 }));
const anyValueArb: fc.Arbitrary<AnyValueJson> = fc.letrec<{ value: AnyValueJson }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    shortText.map((stringValue) => ({ stringValue })),
    fc.boolean().map((boolValue) => ({ boolValue })),
    fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((i) => ({ intValue: i.toString() })),
    fc.double({ noNaN: true, noDefaultInfinity: true }).map((doubleValue) => ({ doubleValue })),
    fc.uint8Array({ maxLength: 8 }).map((b) => ({ bytesValue: Buffer.from(b).toString("base64") })),
    fc.array(tie("value"), { maxLength: 3 }).map((values) => ({ arrayValue: { values } })),
    fc.array(fc.record({ key: shortText, value: tie("value") }), { maxLength: 3 }).map((values) => ({ kvlistValue: { values } })),
  ),
})).value;
const kv = (key: fc.Arbitrary<string>, value: fc.Arbitrary<AnyValueJson>) => fc.record({ key, value });
const attrs = fc.array(kv(shortText, anyValueArb), { maxLength: 3 });
/** Where the sender runs: mostly placeable (env and app known), sometimes not, so partial success is exercised. */
const resource = fc
  .record({
    env: fc.constantFrom("staging", "production", undefined),
    app: fc.constantFrom("web", "api", undefined),
    service: fc.constantFrom("web", undefined),
    release: fc.constantFrom("1", "x", undefined),
  })
  .chain(({ env, app, service, release }) =>
    attrs.map((extra) => ({
      attributes: [
        ...(env ? [{ key: "rampart.env", value: { stringValue: env } }] : []),
        ...(app ? [{ key: "rampart.app", value: { stringValue: app } }] : []),
        ...(service ? [{ key: "service.name", value: { stringValue: service } }] : []),
        ...(release ? [{ key: "rampart.release", value: { stringValue: release } }] : []),
        ...extra,
      ],
    })),
  );

function envelope(signal: Signal, item: fc.Arbitrary<Json>): fc.Arbitrary<Json> {
  const [resourceKey, scopeKey, itemsKey] = LAYOUT[signal];
  return fc
    .array(
      fc.record({
        resource,
        [scopeKey]: fc.array(
          fc.record({ scope: fc.record({ name: shortText }), [itemsKey]: fc.array(item, { minLength: 1, maxLength: 3 }) }),
          { minLength: 1, maxLength: 2 },
        ),
      }),
      { minLength: 1, maxLength: 2 },
    )
    .map((list) => ({ [resourceKey]: list }));
}

/** Valid export requests; timestamps are near `nowMs` so the data is filed, not only parsed. */
export function validOtlp(signal: Signal, nowMs: number): fc.Arbitrary<Json> {
  const nanos = fc.integer({ min: -120_000, max: 10_000 }).map((d) => (BigInt(nowMs + d) * 1_000_000n).toString());
  if (signal === "traces") {
    const spanArb = fc.tuple(nanos, fc.integer({ min: 0, max: 5_000 })).chain(([start, ms]) =>
      fc.record(
        {
          traceId: hex(16),
          spanId: hex(8),
          parentSpanId: fc.oneof(hex(8), fc.constant("")),
          name: shortText,
          kind: fc.integer({ min: 0, max: 5 }),
          startTimeUnixNano: fc.constant(start),
          endTimeUnixNano: fc.constant((BigInt(start) + BigInt(ms) * 1_000_000n).toString()),
          attributes: attrs,
          status: fc.record({ code: fc.integer({ min: 0, max: 2 }), message: shortText }),
        },
        { requiredKeys: ["traceId", "spanId", "name", "startTimeUnixNano", "endTimeUnixNano"] },
      ),
    );
    return envelope("traces", spanArb);
  }
  if (signal === "logs") {
    const record = fc.record(
      {
        timeUnixNano: nanos,
        observedTimeUnixNano: nanos,
        severityNumber: fc.integer({ min: 0, max: 24 }),
        severityText: fc.constantFrom("INFO", "ERROR", "debug", ""),
        body: anyValueArb,
        attributes: attrs,
        traceId: hex(16),
        spanId: hex(8),
      },
      { requiredKeys: ["body"] },
    );
    return envelope("logs", record);
  }
  const number = fc.record(
    { attributes: attrs, timeUnixNano: nanos, asDouble: fc.double({ noNaN: true, noDefaultInfinity: true }) },
    { requiredKeys: ["timeUnixNano", "asDouble"] },
  );
  const histogram = fc.integer({ min: 0, max: 4 }).chain((bounds) =>
    fc.record({
      attributes: attrs,
      timeUnixNano: nanos,
      count: fc.nat(1000).map(String),
      sum: fc.double({ min: 0, max: 1e6, noNaN: true }),
      bucketCounts: fc.array(fc.nat(100).map(String), { minLength: bounds + 1, maxLength: bounds + 1 }),
      explicitBounds: fc
        .array(fc.double({ min: 0, max: 1e4, noNaN: true }), { minLength: bounds, maxLength: bounds })
        .map((b) => b.sort((x, y) => x - y)),
    }),
  );
  const name = fc.constantFrom("http.server.duration", "queue.depth", "jobs", "db.client.connections.usage", "x");
  const metricArb = fc.oneof(
    fc.record({ name, unit: fc.constantFrom("ms", "1", "By"), gauge: fc.record({ dataPoints: fc.array(number, { maxLength: 3 }) }) }),
    fc.record({
      name,
      sum: fc.record({
        dataPoints: fc.array(number, { maxLength: 3 }),
        aggregationTemporality: fc.constantFrom(1, 2),
        isMonotonic: fc.boolean(),
      }),
    }),
    fc.record({
      name,
      histogram: fc.record({ dataPoints: fc.array(histogram, { maxLength: 2 }), aggregationTemporality: fc.constantFrom(1, 2) }),
    }),
  );
  return envelope("metrics", metricArb);
}

// ---- spoiling them ----

/** Nested `depth` levels deep, as an attribute value (arrayValue) or as plain JSON arrays/objects. */
function nested(depth: number, kind: number): unknown {
  let value: unknown = kind === 0 ? { stringValue: "bottom" } : 1;
  for (let i = 0; i < depth; i++) value = kind === 0 ? { arrayValue: { values: [value] } } : kind === 1 ? [value] : { a: value };
  return value;
}

export const oddValue: fc.Arbitrary<unknown> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.constantFrom(
      null,
      true,
      false,
      0,
      -1,
      -0,
      1.5,
      -1e308,
      1e308,
      2 ** 53 + 1,
      2 ** 64,
      "",
      "NaN",
      "Infinity",
      "-Infinity",
      "nan",
      "1e400",
      "-5",
      "0x1f",
      "18446744073709551616",
      "99999999999999999999999999",
      "-9223372036854775809",
      "😀",
      "\u0000",
      "\ud800",
      "ab",
      "ZZ",
      [],
      {},
      [null],
      [{}],
      { stringValue: 5 },
      { intValue: "1.5" },
      { arrayValue: { values: "x" } },
      { kvlistValue: { values: [{ value: {} }] } },
    ),
  },
  { weight: 2, arbitrary: fc.string({ maxLength: 20 }) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 20_000 }).map((n) => "x".repeat(n)) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom(10, 33, 63, 64, 65, 100, 300, 1_000), fc.integer({ min: 0, max: 2 }))
      .map(([depth, kind]) => nested(depth, kind)),
  },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
);

/** Every value in a JSON tree, root first, each with how to replace or drop it. */
function slots(root: unknown): { get: () => unknown; set: (v: unknown) => void; drop: () => void }[] {
  const out: { get: () => unknown; set: (v: unknown) => void; drop: () => void }[] = [];
  const walk = (value: unknown) => {
    if (typeof value !== "object" || value === null) return;
    if (Array.isArray(value)) {
      value.forEach((child, i) => {
        out.push({ get: () => value[i], set: (v) => (value[i] = v), drop: () => value.splice(i, 1) });
        walk(child);
      });
    } else {
      const record = value as Record<string, unknown>;
      for (const key of Object.keys(record)) {
        out.push({ get: () => record[key], set: (v) => (record[key] = v), drop: () => delete record[key] });
        walk(record[key]);
      }
    }
  };
  walk(root);
  return out;
}

/** One value of a valid request spoiled: replaced by an odd one, dropped, or given an odd sibling key. */
export function spoiledJson(valid: fc.Arbitrary<Json>): fc.Arbitrary<unknown> {
  return fc
    .tuple(
      valid,
      fc.nat(),
      fc.integer({ min: 0, max: 5 }),
      oddValue,
      fc.constantFrom("name", "spans", "attributes", "value", "dataPoints", "__proto__", "constructor", ""),
    )
    .map(([body, at, how, odd, key]) => {
      const copy = structuredClone(body) as Json;
      if (how === 5) return odd;
      const all = slots(copy);
      const slot = all[at % all.length];
      if (!slot) return copy;
      if (how <= 2) slot.set(odd);
      else if (how === 3) slot.drop();
      else {
        const parent = slot.get();
        if (typeof parent === "object" && parent !== null && !Array.isArray(parent))
          Object.defineProperty(parent, key, { value: odd, enumerable: true, writable: true, configurable: true });
        else slot.set(odd);
      }
      return copy;
    });
}

/** A valid request many times over: hundreds of resources in one export. */
export function manyTimes(valid: fc.Arbitrary<Json>): fc.Arbitrary<Json> {
  return fc.tuple(valid, fc.integer({ min: 50, max: 400 })).map(([body, times]) => {
    const [key, list] = Object.entries(body)[0] as [string, unknown[]];
    return { [key]: Array.from({ length: times }, (_, i) => list[i % list.length]) };
  });
}

/** A valid request whose first resource carries an attribute value nested `depth` arrays deep. */
function deepAttribute(body: Json, depth: number): Json {
  const copy = structuredClone(body);
  const first = (Object.values(copy)[0] as Json[])[0] as { resource: { attributes: unknown[] } };
  first.resource.attributes.push({ key: "deep", value: nested(depth, 0) });
  return copy;
}

/**
 * The protobuf encoding of a valid request, then damaged: a byte flipped or replaced, cut short, extended, bytes
 * inserted, or an attribute nested deeper than the reader allows; or as is.
 */
export function spoiledProtobuf(signal: Signal, valid: fc.Arbitrary<Json>): fc.Arbitrary<Buffer> {
  return fc
    .tuple(
      valid,
      fc.integer({ min: 0, max: 6 }),
      fc.nat(),
      fc.nat(255),
      fc.uint8Array({ minLength: 1, maxLength: 12 }),
      // Far past the limit (32) without overflowing this encoder's own recursion (2,000 levels sometimes did).
      fc.constantFrom(31, 32, 33, 200, 500),
    )
    .map(([body, how, at, byte, extra, depth]) => {
      if (how === 6) return toProtobuf(signal, deepAttribute(body, depth));
      const bytes = toProtobuf(signal, body);
      const i = bytes.length === 0 ? 0 : at % bytes.length;
      if (how === 0 || bytes.length === 0) return bytes;
      if (how === 1) return Buffer.from(bytes.map((b, j) => (j === i ? b ^ (1 << (byte % 8)) : b)));
      if (how === 2) return Buffer.from(bytes.map((b, j) => (j === i ? byte : b)));
      if (how === 3) return bytes.subarray(0, i);
      if (how === 4) return Buffer.concat([bytes, Buffer.from(extra)]);
      return Buffer.concat([bytes.subarray(0, i), Buffer.from(extra), bytes.subarray(i)]);
    });
}
