import { keyValue, Reader, repeated, type Json } from "./protobuf-reader.ts";

/**
 * ExportMetricsServiceRequest in protobuf (`application/x-protobuf`, what the OpenTelemetry SDKs send by default
 * and what Rampart's instances are told to use) decoded into the JSON encoding's shape, so one schema and one
 * ingest serve both. Only the fields Rampart reads are decoded; the rest are skipped, as the spec asks. Field
 * numbers from opentelemetry-proto metrics.proto, common.proto and resource.proto. The wire reader is shared with
 * the logs and traces decoder (protobuf-reader.ts).
 */
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
