import { randomUUID } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import type { EdgeReply, EdgeRequest } from "./edge-request.types.ts";
import type { CompiledEnvironment } from "./compiled-table.ts";
import { FLAG_VARIANT_HEADER } from "./flag-variant-stats.ts";
import { formatTraceparent, traceContextFor, type TraceContext } from "./trace-context.ts";

/** Hop-by-hop headers (RFC 9110 §7.6.1) plus Expect, which undici refuses and Node already answered. */
const HOP_BY_HOP: ReadonlySet<string> = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "expect",
]);

/**
 * Headers the edge sets itself; a client's own values are dropped (X-Forwarded-For is appended to, a valid
 * traceparent continued, X-Rampart-Release read for pinning and not forwarded).
 */
const EDGE_OWNED: ReadonlySet<string> = new Set([
  "x-forwarded-proto",
  "x-forwarded-host",
  "x-request-id",
  "x-forwarded-for",
  "traceparent",
  "x-rampart-release",
  "x-rampart-probe",
  // Set by the edge only after it authenticated the request (gateway-auth.ts): a client's own is never forwarded.
  "x-rampart-subject",
]);

/**
 * Headers an underscore spelling must never stand in for, even for an app that accepts underscores: CGI-style
 * servers (WSGI, PHP, Rack) fold `X_Forwarded_For` and `X-Forwarded-For` into one variable, client's value first.
 */
const NEVER_UNDERSCORED: ReadonlySet<string> = new Set([...HOP_BY_HOP, ...EDGE_OWNED, "content-length", "content-type"]);

const REQUEST_ID = /^[A-Za-z0-9._-]{1,200}$/;
const PLAIN_CONNECTION: ReadonlySet<string> = new Set(["keep-alive", "close"]);

/** What the proxy needs from the request's headers, read in one pass over rawHeaders. */
export interface ForwardPlan {
  /** Flat [name, value, …] list for undici, hop-by-hop removed, X-Forwarded-* and X-Request-Id set. */
  headers: string[];
  requestId: string;
  host: string | undefined;
  accept: string | undefined;
  /** The Cookie header (first one), read only when a sticky split needs it. */
  cookie: string | undefined;
  /** X-Rampart-Release as sent; honoured only from the environment's pin sources. */
  pin: string | undefined;
  /** X-Rampart-Probe as sent (never forwarded); a synthetic check's only when it matches the table's token. */
  probe: string | undefined;
  hasBody: boolean;
  trace: TraceContext;
  /** Set by the proxy before the response head is written: a Set-Cookie for the edge's sticky id. */
  setCookie: string | undefined;
  /** Captured from (and stripped off) the upstream's response: the flag variations that served it. */
  flags: string | undefined;
  /**
   * Client headers whose names hold an underscore, [name, value, …], left out of `headers` (as nginx does by
   * default); an app that accepts them gets them back once routed (allowUnderscoreHeaders).
   */
  underscored: string[] | undefined;
  /** Where the client's own headers end in `headers` (the edge's follow). */
  clientHeadersEnd: number;
}

export function planForwarding(req: EdgeRequest, env: CompiledEnvironment): ForwardPlan {
  const raw = req.rawHeaders;
  let host: string | undefined;
  let accept: string | undefined;
  let cookie: string | undefined;
  let pin: string | undefined;
  let probe: string | undefined;
  let traceparent: string | undefined;
  let incomingId: string | undefined;
  let forwardedFor: string | undefined;
  let connectionTokens: Set<string> | undefined;
  let hasBody = false;
  let underscored: string[] | undefined;
  const headers: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    const value = raw[i + 1] as string;
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower)) {
      if (lower === "connection") connectionTokens = addTokens(connectionTokens, value);
      else if (lower === "transfer-encoding") hasBody = true;
      continue;
    }
    if (EDGE_OWNED.has(lower)) {
      if (lower === "x-forwarded-for") forwardedFor = forwardedFor === undefined ? value : `${forwardedFor}, ${value}`;
      else if (lower === "x-request-id") incomingId ??= value;
      else if (lower === "traceparent") traceparent = traceparent === undefined ? value : "";
      else if (lower === "x-rampart-release") pin ??= value;
      else if (lower === "x-rampart-probe") probe ??= value;
      continue;
    }
    // Rare in practice, so the check costs one scan of the name on the common path.
    if (lower.includes("_")) {
      (underscored ??= []).push(name, value);
      continue;
    }
    if (lower === "host") host ??= value;
    else if (lower === "accept") accept ??= value;
    else if (lower === "cookie") cookie ??= value;
    else if (lower === "content-length") hasBody ||= value !== "0";
    headers.push(name, value);
  }
  // Headers named in Connection are hop-by-hop too; rare, so filtered after the fact.
  if (connectionTokens !== undefined) removeNamed(headers, connectionTokens);
  const clientHeadersEnd = headers.length;
  const requestId = incomingId !== undefined && REQUEST_ID.test(incomingId) ? incomingId : randomUUID();
  const client = req.socket.remoteAddress ?? "";
  headers.push("x-forwarded-for", forwardedFor === undefined ? client : `${forwardedFor}, ${client}`);
  headers.push("x-forwarded-proto", env.secure ? "https" : "http");
  if (host !== undefined) headers.push("x-forwarded-host", host);
  headers.push("x-request-id", requestId);
  // Two traceparent headers are invalid (the "" above): a new trace is started, as the spec asks.
  const trace = traceContextFor(traceparent, { sampleRate: env.traceSampleRate });
  headers.push("traceparent", formatTraceparent(trace));
  return {
    headers,
    requestId,
    host,
    accept,
    cookie,
    pin,
    probe,
    hasBody,
    trace,
    setCookie: undefined,
    flags: undefined,
    underscored,
    clientHeadersEnd,
  };
}

/**
 * For an app whose manifest sets `headers: { underscores: allow }`: the client's underscore headers go back among
 * its own, except spellings of headers the edge sets or that frame the body, which would shadow the real ones.
 */
export function allowUnderscoreHeaders(plan: ForwardPlan): void {
  const underscored = plan.underscored;
  if (underscored === undefined) return;
  plan.underscored = undefined;
  const allowed: string[] = [];
  for (let i = 0; i < underscored.length; i += 2) {
    const name = underscored[i] as string;
    if (!NEVER_UNDERSCORED.has(name.toLowerCase().replaceAll("_", "-"))) allowed.push(name, underscored[i + 1] as string);
  }
  plan.headers.splice(plan.clientHeadersEnd, 0, ...allowed);
  plan.clientHeadersEnd += allowed.length;
}

/**
 * Writes the upstream's status and headers, minus hop-by-hop ones, plus the request id the client can
 * quote. A flat [name, value, …] list is Node's cheapest form. False when Node refuses a value.
 */
export function writeResponseHead(res: EdgeReply, status: number, upstream: IncomingHttpHeaders, plan: ForwardPlan): boolean {
  let named: Set<string> | undefined;
  const connection = upstream.connection;
  if (typeof connection === "string") named = addTokens(undefined, connection);
  const out: string[] = [];
  for (const name in upstream) {
    if (isDroppedResponseHeader(name, named)) {
      if (name === FLAG_VARIANT_HEADER) plan.flags = String(upstream[name]);
      continue;
    }
    const value = upstream[name];
    if (typeof value === "string") out.push(name, value);
    else if (value !== undefined) for (const v of value) out.push(name, v);
  }
  return writeHeadWithEdgeHeaders(res, status, out, plan);
}

/** Same as writeResponseHead, for the edge's own client, which hands over a flat [lower-case name, value, …] list. */
export function writeResponseHeadFlat(res: EdgeReply, status: number, upstream: string[], plan: ForwardPlan): boolean {
  let named: Set<string> | undefined;
  for (let i = 0; i < upstream.length; i += 2) {
    if (upstream[i] === "connection") named = addTokens(named, upstream[i + 1] as string);
  }
  const out: string[] = [];
  for (let i = 0; i < upstream.length; i += 2) {
    const name = upstream[i] as string;
    if (isDroppedResponseHeader(name, named)) {
      if (name === FLAG_VARIANT_HEADER) plan.flags = upstream[i + 1] as string;
      continue;
    }
    out.push(name, upstream[i + 1] as string);
  }
  return writeHeadWithEdgeHeaders(res, status, out, plan);
}

/**
 * Hop-by-hop headers (and those the upstream's Connection names) stay behind; the edge sets X-Request-Id
 * itself; the SDK's flag header is for the edge only.
 */
function isDroppedResponseHeader(name: string, named: Set<string> | undefined): boolean {
  return HOP_BY_HOP.has(name) || name === "x-request-id" || name === FLAG_VARIANT_HEADER || named?.has(name) === true;
}

/** False when the head cannot be written (an invalid header from the upstream): the caller answers 502. */
function writeHeadWithEdgeHeaders(res: EdgeReply, status: number, out: string[], plan: ForwardPlan): boolean {
  out.push("x-request-id", plan.requestId);
  if (plan.setCookie !== undefined) out.push("set-cookie", plan.setCookie);
  try {
    res.writeHead(status, out);
    return true;
  } catch {
    return false;
  }
}

/**
 * The request head for the edge's own client, in one string (one write). Names and values come from
 * Node's parser, which refuses CR, LF and NUL, or from the edge itself, so they cannot split the head.
 */
export function requestHead(method: string, target: string, headers: string[], hostFallback: string | undefined): string {
  let head = `${method} ${target} HTTP/1.1\r\n`;
  for (let i = 0; i < headers.length; i += 2) head += `${headers[i] as string}: ${headers[i + 1] as string}\r\n`;
  // HTTP/1.1 needs a Host; a client speaking HTTP/1.0 may not have sent one.
  if (hostFallback !== undefined) head += `host: ${hostFallback}\r\n`;
  return `${head}\r\n`;
}

/** Header names listed in a Connection value (besides close / keep-alive), added to `set`. */
function addTokens(set: Set<string> | undefined, value: string): Set<string> | undefined {
  // Nearly every Connection header is just one of these: no split, no Set, nothing to remove.
  if (value.length <= 10 && PLAIN_CONNECTION.has(value.toLowerCase())) return set;
  const out = set ?? new Set<string>();
  for (const token of value.split(",")) {
    const t = token.trim().toLowerCase();
    if (t !== "" && t !== "close" && t !== "keep-alive") out.add(t);
  }
  return out;
}

function removeNamed(headers: string[], names: ReadonlySet<string>): void {
  if (names.size === 0) return;
  let w = 0;
  for (let r = 0; r < headers.length; r += 2) {
    if (names.has((headers[r] as string).toLowerCase())) continue;
    headers[w++] = headers[r] as string;
    headers[w++] = headers[r + 1] as string;
  }
  headers.length = w;
}
