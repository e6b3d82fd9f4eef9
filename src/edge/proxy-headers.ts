import { randomUUID } from "node:crypto";
import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders } from "node:http";

/** Hop-by-hop headers (RFC 9110 §7.6.1) plus Expect, which undici refuses and Node already answered. */
const HOP_BY_HOP: ReadonlySet<string> = new Set([
  "connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade", "expect",
]);

/** Headers the edge sets itself; a client's own values are dropped (X-Forwarded-For is appended to instead). */
const EDGE_OWNED: ReadonlySet<string> = new Set(["x-forwarded-proto", "x-forwarded-host", "x-request-id", "x-forwarded-for"]);

const REQUEST_ID = /^[A-Za-z0-9._-]{1,200}$/;

/** What the proxy needs from the request's headers, read in one pass over rawHeaders. */
export interface ForwardPlan {
  /** Flat [name, value, …] list for undici, hop-by-hop removed, X-Forwarded-* and X-Request-Id set. */
  headers: string[];
  requestId: string;
  host: string | undefined;
  accept: string | undefined;
  hasBody: boolean;
}

export function planForwarding(req: IncomingMessage): ForwardPlan {
  const raw = req.rawHeaders;
  let host: string | undefined;
  let accept: string | undefined;
  let incomingId: string | undefined;
  let forwardedFor: string | undefined;
  let connectionTokens: Set<string> | undefined;
  let hasBody = false;
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
      continue;
    }
    if (lower === "host") host ??= value;
    else if (lower === "accept") accept ??= value;
    else if (lower === "content-length") hasBody ||= value !== "0";
    headers.push(name, value);
  }
  // Headers named in Connection are hop-by-hop too; rare, so filtered after the fact.
  if (connectionTokens !== undefined) removeNamed(headers, connectionTokens);
  const requestId = incomingId !== undefined && REQUEST_ID.test(incomingId) ? incomingId : randomUUID();
  const client = req.socket.remoteAddress ?? "";
  headers.push("x-forwarded-for", forwardedFor === undefined ? client : `${forwardedFor}, ${client}`);
  headers.push("x-forwarded-proto", "http");
  if (host !== undefined) headers.push("x-forwarded-host", host);
  headers.push("x-request-id", requestId);
  return { headers, requestId, host, accept, hasBody };
}

/** The upstream's response headers minus hop-by-hop ones, with the request id the client can quote. */
export function responseHeaders(upstream: IncomingHttpHeaders, requestId: string): OutgoingHttpHeaders {
  let named: Set<string> | undefined;
  const connection = upstream["connection"];
  if (typeof connection === "string") named = addTokens(undefined, connection);
  const out: OutgoingHttpHeaders = {};
  for (const name in upstream) {
    if (HOP_BY_HOP.has(name) || (named !== undefined && named.has(name))) continue;
    out[name] = upstream[name];
  }
  out["x-request-id"] = requestId;
  return out;
}

function addTokens(set: Set<string> | undefined, value: string): Set<string> {
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
