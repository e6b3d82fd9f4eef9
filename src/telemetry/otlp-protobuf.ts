/**
 * OTLP/HTTP protobuf (`application/x-protobuf`) for traces and logs, decoded into the same shape as the JSON
 * encoding (hex ids, decimal nanosecond strings, lowerCamelCase keys) so one schema and one converter serve both.
 * A small wire-format reader instead of a protobuf library: only the fields Rampart reads are decoded, the rest
 * skipped, as the spec asks of unknown fields. Field numbers from opentelemetry-proto (common, resource, trace, logs).
 */

import { anyValue, keyValue, ProtobufError, Reader, repeated, type Json } from "./protobuf-reader.ts";

export { ProtobufError };

/** A message whose fields are: resource (1) and a list of scoped items (2), each with a list at field 2. */
function resourceEnvelope(r: Reader, scopeKey: string, itemsKey: string, item: (r: Reader) => Json): Json {
  const out: Json = { [scopeKey]: [] };
  r.each((n, w) => {
    if (n === 1 && w === 2) out.resource = { attributes: repeated(r.bytes(), 1, keyValue) };
    else if (n === 2 && w === 2) (out[scopeKey] as Json[]).push({ [itemsKey]: repeated(r.bytes(), 2, item) });
    else return false;
    return true;
  });
  return out;
}

function status(r: Reader): Json {
  const out: Json = {};
  r.each((n, w) => {
    if (n === 2 && w === 2) out.message = r.string();
    else if (n === 3 && w === 0) out.code = r.small();
    else return false;
    return true;
  });
  return out;
}

function span(r: Reader): Json {
  const attributes: Json[] = [];
  const out: Json = { attributes };
  r.each((n, w) => {
    if (n === 1 && w === 2) out.traceId = r.hex();
    else if (n === 2 && w === 2) out.spanId = r.hex();
    else if (n === 4 && w === 2) out.parentSpanId = r.hex();
    else if (n === 5 && w === 2) out.name = r.string();
    else if (n === 6 && w === 0) out.kind = r.small();
    else if (n === 7 && w === 1) out.startTimeUnixNano = r.fixed64().toString();
    else if (n === 8 && w === 1) out.endTimeUnixNano = r.fixed64().toString();
    else if (n === 9 && w === 2) attributes.push(keyValue(r.bytes()));
    else if (n === 15 && w === 2) out.status = status(r.bytes());
    else return false;
    return true;
  });
  return out;
}

function logRecord(r: Reader): Json {
  const attributes: Json[] = [];
  const out: Json = { attributes };
  r.each((n, w) => {
    if (n === 1 && w === 1) out.timeUnixNano = r.fixed64().toString();
    else if (n === 2 && w === 0) out.severityNumber = r.small();
    else if (n === 3 && w === 2) out.severityText = r.string();
    else if (n === 5 && w === 2) out.body = anyValue(r.bytes());
    else if (n === 6 && w === 2) attributes.push(keyValue(r.bytes()));
    else if (n === 9 && w === 2) out.traceId = r.hex();
    else if (n === 10 && w === 2) out.spanId = r.hex();
    else if (n === 11 && w === 1) out.observedTimeUnixNano = r.fixed64().toString();
    else return false;
    return true;
  });
  return out;
}

/** ExportTraceServiceRequest (protobuf) → its JSON encoding. Throws ProtobufError on malformed input. */
export function decodeTraceRequest(body: Buffer): Json {
  return { resourceSpans: repeated(new Reader(body), 1, (r) => resourceEnvelope(r, "scopeSpans", "spans", span)) };
}

/** ExportLogsServiceRequest (protobuf) → its JSON encoding. */
export function decodeLogsRequest(body: Buffer): Json {
  return { resourceLogs: repeated(new Reader(body), 1, (r) => resourceEnvelope(r, "scopeLogs", "logRecords", logRecord)) };
}

/**
 * Export*ServiceResponse: empty for success, else `partial_success` (field 1) holding the rejected count (field 1)
 * and the message (field 2); the same layout for traces and logs.
 */
export function encodeExportResponse(partial: { rejected: number; message: string } | null): Buffer {
  if (partial === null) return Buffer.alloc(0);
  const message = Buffer.from(partial.message, "utf8");
  const inner = Buffer.concat([Buffer.from([0x08]), varint(partial.rejected), Buffer.from([0x12]), varint(message.length), message]);
  return Buffer.concat([Buffer.from([0x0a]), varint(inner.length), inner]);
}

function varint(value: number): Buffer {
  const bytes: number[] = [];
  let v = value;
  while (v > 0x7f) {
    bytes.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  bytes.push(v);
  return Buffer.from(bytes);
}
