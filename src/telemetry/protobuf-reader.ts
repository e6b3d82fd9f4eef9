/**
 * The protobuf wire format, as much as OTLP/HTTP (`application/x-protobuf`) needs: a reader over a Buffer and the
 * common.proto messages (AnyValue, KeyValue) every OTLP signal uses. A small reader instead of a protobuf
 * library: only the fields Rampart reads are decoded, the rest skipped, as the spec asks of unknown fields.
 */

export type Json = Record<string, unknown>;

export class ProtobufError extends Error {}

export class Reader {
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
    let shift = 0n;
    for (;;) {
      if (this.pos >= this.end) throw new ProtobufError("truncated varint");
      const byte = this.buf[this.pos++] as number;
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7n;
      if (shift > 63n) throw new ProtobufError("varint longer than 64 bits");
    }
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

  skip(wireType: number): void {
    if (wireType === 0) this.varint();
    else if (wireType === 1) this.need(8), (this.pos += 8);
    else if (wireType === 2) this.bytes();
    else if (wireType === 5) this.need(4), (this.pos += 4);
    else throw new ProtobufError(`unsupported wire type ${wireType}`);
  }

  /** Calls `field` for each (number, wire type); the callback reads the value or returns false to skip it. */
  each(field: (n: number, wireType: number) => boolean): void {
    while (this.pos < this.end) {
      const key = this.small();
      const n = key >>> 3;
      const wireType = key & 7;
      if (!field(n, wireType)) this.skip(wireType);
    }
  }

  string(): string {
    const sub = this.bytes();
    return this.buf.toString("utf8", sub.pos, sub.end);
  }

  base64(): string {
    const sub = this.bytes();
    return this.buf.toString("base64", sub.pos, sub.end);
  }

  hex(): string {
    const sub = this.bytes();
    return this.buf.toString("hex", sub.pos, sub.end);
  }

  /** A repeated fixed64/double field, packed (wire type 2) or not (wire type 1). */
  packed64<T>(wireType: number, read: (r: Reader) => T, into: T[]): void {
    if (wireType === 1) return void into.push(read(this));
    const sub = this.bytes();
    while (sub.pos < sub.end) into.push(read(sub));
  }

  private need(n: number): void {
    if (this.pos + n > this.end) throw new ProtobufError("truncated field");
  }
}

// Attribute values nest (arrays, key-value lists); a hostile body could nest deep enough to exhaust the stack.
const MAX_DEPTH = 32;

export function anyValue(r: Reader, depth = 0): Json {
  if (depth > MAX_DEPTH) throw new ProtobufError(`attribute values nested deeper than ${MAX_DEPTH}`);
  const out: Json = {};
  r.each((n, w) => {
    if (n === 1 && w === 2) out.stringValue = r.string();
    else if (n === 2 && w === 0) out.boolValue = r.varint() !== 0n;
    else if (n === 3 && w === 0) out.intValue = BigInt.asIntN(64, r.varint()).toString();
    else if (n === 4 && w === 1) out.doubleValue = r.double();
    else if (n === 5 && w === 2) out.arrayValue = { values: repeated(r.bytes(), 1, (sub) => anyValue(sub, depth + 1)) };
    else if (n === 6 && w === 2) out.kvlistValue = { values: repeated(r.bytes(), 1, (sub) => keyValue(sub, depth + 1)) };
    else if (n === 7 && w === 2) out.bytesValue = r.base64();
    else return false;
    return true;
  });
  return out;
}

export function keyValue(r: Reader, depth = 0): Json {
  const out: Json = { key: "" };
  r.each((n, w) => {
    if (n === 1 && w === 2) out.key = r.string();
    else if (n === 2 && w === 2) out.value = anyValue(r.bytes(), depth);
    else return false;
    return true;
  });
  return out;
}

export function repeated(r: Reader, field: number, decode: (r: Reader) => Json): Json[] {
  const out: Json[] = [];
  r.each((n, w) => {
    if (n !== field || w !== 2) return false;
    out.push(decode(r.bytes()));
    return true;
  });
  return out;
}
