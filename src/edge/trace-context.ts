/**
 * W3C Trace Context (https://www.w3.org/TR/trace-context/) for the edge: a valid incoming `traceparent`
 * is continued (same trace, the client's span as parent), anything else starts a new trace. The edge's
 * own span id goes upstream, so the app's spans become children of the edge's server span.
 */
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const ZERO_TRACE = "00000000000000000000000000000000";
const ZERO_SPAN = "0000000000000000";

export interface TraceContext {
  traceId: string;
  /** The client's span, or null when the edge started the trace. */
  parentSpanId: string | null;
  spanId: string;
  sampled: boolean;
}

export interface TraceSampling {
  /** Share of new traces (no incoming sampling decision) that are sampled, 0..1. */
  sampleRate: number;
}

/** Continues `incoming` when valid (its sampled flag decides), else starts a trace sampled at `sampleRate`. */
export function traceContextFor(incoming: string | undefined, sampling: TraceSampling, random: () => number = Math.random): TraceContext {
  const spanId = randomHex16(random);
  if (incoming !== undefined) {
    // Version 00 is exactly 55 characters; upper case and all-zero ids are invalid (§3.2.2).
    const match = incoming.length === 55 ? TRACEPARENT.exec(incoming) : null;
    if (match !== null) {
      const traceId = match[1] as string;
      const parent = match[2] as string;
      if (traceId !== ZERO_TRACE && parent !== ZERO_SPAN) {
        return { traceId, parentSpanId: parent, spanId, sampled: (parseInt(match[3] as string, 16) & 1) === 1 };
      }
    }
  }
  return { traceId: randomHex16(random) + randomHex16(random), parentSpanId: null, spanId, sampled: random() < sampling.sampleRate };
}

export function formatTraceparent(trace: TraceContext): string {
  return `00-${trace.traceId}-${trace.spanId}-${trace.sampled ? "01" : "00"}`;
}

/** 64 random bits as 16 hex digits; Math.random is enough for ids (not secrets) and far cheaper than crypto. */
function randomHex16(random: () => number): string {
  let hex = "";
  do {
    hex = hex8(random) + hex8(random);
  } while (hex === ZERO_SPAN);
  return hex;
}

/** Two hex digits per byte value: four lookups cost a seventh of Number#toString(16) + padStart (6 calls per request). */
const HEX_BYTE: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

function hex8(random: () => number): string {
  const n = (random() * 0x1_0000_0000) >>> 0;
  return `${HEX_BYTE[n >>> 24] as string}${HEX_BYTE[(n >>> 16) & 255] as string}${HEX_BYTE[(n >>> 8) & 255] as string}${HEX_BYTE[n & 255] as string}`;
}
