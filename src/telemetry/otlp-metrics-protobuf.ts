import { ProtobufError } from "./otlp-protobuf.ts";

/**
 * ExportMetricsServiceRequest in protobuf (`application/x-protobuf`, what the OpenTelemetry SDKs send by default
 * and what Rampart's instances are told to use) decoded into the JSON encoding's shape, so one schema and one
 * ingest serve both. Only the fields Rampart reads are decoded; the rest are skipped, as the spec asks. Field
 * numbers from opentelemetry-proto metrics.proto, common.proto and resource.proto. (A wire reader of its own:
 * the logs/traces decoder in otlp-protobuf.ts keeps its reader private.)
 */
type Json = Record<string, unknown>;
const MAX_DEPTH = 32;

class Reader {
  readonly buf: Buffer;
  pos: number;
  readonly end: number;

  constructor(buf: Buffer, start = 0, end = buf.length) {
    this.buf = buf;
    this.pos = start;
    this.end = end;
  }

  varint(): bigint {
    let result = 0n;
    for (let shift = 0n; shift <= 63n; shift += 7n) {
      if (this.pos >= this.end) throw new ProtobufError("truncated varint");
      const byte = this.buf[this.pos++] as number;
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
    }
    throw new ProtobufError("varint longer than 64 bits");
  }

  small(): number {
    return Number(this.varint() & 0xffffffffn);
  }

  fixed64(): bigint {
    this.need(8);
    const value = this.buf.readBigUInt64LE(this.pos);
    this.pos += 8;
    return value;
  }

  double(): number {
    this.need(8);
    const value = this.buf.readDoubleLE(this.pos);
    this.pos += 8;
    return value;
  }

  bytes(): Reader {
    const length = this.small();
    this.need(length);
    const sub = new Reader(this.buf, this.pos, this.pos + length);
    this.pos += length;
    return sub;
  }

  string(): string {
    const sub = this.bytes();
    return this.buf.toString("utf8", sub.pos, sub.end);
  }

  skip(wireType: number): void {
    if (wireType === 0) this.varint();
    else if (wireType === 1) this.advance(8);
    else if (wireType === 2) this.bytes();
    else if (wireType === 5) this.advance(4);
    else throw new ProtobufError(`unsupported wire type ${wireType}`);
  }

  each(field: (n: number, wireType: number) => boolean): void {
    while (this.pos < this.end) {
      const key = this.small();
      if (!field(key >>> 3, key & 7)) this.skip(key & 7);
    }
  }

  /** A repeated fixed64/double field, packed (wire type 2) or not (wire type 1). */
  packed64<T>(wireType: number, read: (r: Reader) => T, into: T[]): void {
    if (wireType === 1) return void into.push(read(this));
    const sub = this.bytes();
    while (sub.pos < sub.end) into.push(read(sub));
  }

  private advance(n: number): void {
    this.need(n);
    this.pos += n;
  }

  private need(n: number): void {
    if (this.pos + n > this.end) throw new ProtobufError("truncated field");
  }
}

function anyValue(r: Reader, depth: number): Json {
  if (depth > MAX_DEPTH) throw new ProtobufError(`attribute values nested deeper than ${MAX_DEPTH}`);
  const out: Json = {};
  r.each((n, w) => {
    if (n === 1 && w === 2) out.stringValue = r.string();
    else if (n === 2 && w === 0) out.boolValue = r.varint() !== 0n;
    else if (n === 3 && w === 0) out.intValue = BigInt.asIntN(64, r.varint()).toString();
    else if (n === 4 && w === 1) out.doubleValue = r.double();
    else if (n === 5 && w === 2) out.arrayValue = { values: repeated(r.bytes(), 1, (s) => anyValue(s, depth + 1)) };
    else if (n === 6 && w === 2) out.kvlistValue = { values: repeated(r.bytes(), 1, (s) => keyValue(s, depth + 1)) };
    else return false;
    return true;
  });
  return out;
}

function keyValue(r: Reader, depth = 0): Json {
  const out: Json = { key: "" };
  r.each((n, w) => {
    if (n === 1 && w === 2) out.key = r.string();
    else if (n === 2 && w === 2) out.value = anyValue(r.bytes(), depth);
    else return false;
    return true;
  });
  return out;
}

function repeated(r: Reader, field: number, decode: (r: Reader) => Json): Json[] {
  const out: Json[] = [];
  r.each((n, w) => {
    if (n !== field || w !== 2) return false;
    out.push(decode(r.bytes()));
    return true;
  });
  return out;
}

function numberPoint(r: Reader): Json {
  const attributes: Json[] = [];
  const out: Json = { attributes };
  r.each((n, w) => {
    if (n === 7 && w === 2) attributes.push(keyValue(r.bytes()));
    else if (n === 3 && w === 1) out.timeUnixNano = r.fixed64().toString();
    else if (n === 4 && w === 1) out.asDouble = r.double();
    else if (n === 6 && w === 1) out.asInt = BigInt.asIntN(64, r.fixed64()).toString();
    else return false;
    return true;
  });
  if (typeof out.asDouble === "number" && !Number.isFinite(out.asDouble)) out.asDouble = String(out.asDouble) as "NaN";
  return out;
}

function histogramPoint(r: Reader): Json {
  const attributes: Json[] = [];
  const bucketCounts: string[] = [];
  const explicitBounds: number[] = [];
  const out: Json = { attributes, bucketCounts, explicitBounds };
  r.each((n, w) => {
    if (n === 9 && w === 2) attributes.push(keyValue(r.bytes()));
    else if (n === 3 && w === 1) out.timeUnixNano = r.fixed64().toString();
    else if (n === 4 && w === 1) out.count = r.fixed64().toString();
    else if (n === 5 && w === 1) out.sum = r.double();
    else if (n === 6 && (w === 1 || w === 2)) r.packed64(w, (s) => s.fixed64().toString(), bucketCounts);
    else if (n === 7 && (w === 1 || w === 2)) r.packed64(w, (s) => s.double(), explicitBounds);
    else return false;
    return true;
  });
  return out;
}

/** Gauge (5), Sum (7) and Histogram (9); other kinds (exponential histograms, summaries) are left out. */
function metric(r: Reader): Json {
  const out: Json = { name: "" };
  const points = (s: Reader, decode: (r: Reader) => Json, extra: Json): Json => {
    const dataPoints: Json[] = [];
    const body: Json = { dataPoints, ...extra };
    s.each((n, w) => {
      if (n === 1 && w === 2) dataPoints.push(decode(s.bytes()));
      else if (n === 2 && w === 0) body.aggregationTemporality = s.small();
      else if (n === 3 && w === 0) body.isMonotonic = s.varint() !== 0n;
      else return false;
      return true;
    });
    return body;
  };
  r.each((n, w) => {
    if (n === 1 && w === 2) out.name = r.string();
    else if (n === 3 && w === 2) out.unit = r.string();
    else if (n === 5 && w === 2) out.gauge = points(r.bytes(), numberPoint, {});
    else if (n === 7 && w === 2) out.sum = points(r.bytes(), numberPoint, {});
    else if (n === 9 && w === 2) out.histogram = points(r.bytes(), histogramPoint, {});
    else return false;
    return true;
  });
  return out;
}

function resourceMetrics(r: Reader): Json {
  const scopeMetrics: Json[] = [];
  const out: Json = { scopeMetrics };
  r.each((n, w) => {
    if (n === 1 && w === 2) out.resource = { attributes: repeated(r.bytes(), 1, keyValue) };
    else if (n === 2 && w === 2) scopeMetrics.push({ metrics: repeated(r.bytes(), 2, metric) });
    else return false;
    return true;
  });
  return out;
}

/** ExportMetricsServiceRequest (protobuf) → its JSON encoding. Throws ProtobufError on malformed input. */
export function decodeMetricsRequest(body: Buffer): Json {
  return { resourceMetrics: repeated(new Reader(body), 1, resourceMetrics) };
}
