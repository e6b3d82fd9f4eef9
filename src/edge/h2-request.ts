import type { IncomingHttpHeaders } from "node:http";
import { Http2ServerRequest, type ServerHttp2Stream } from "node:http2";
import type { ReadableOptions } from "node:stream";

/**
 * An HTTP/2 stream's request, shaped as the HTTP/1.1 request the instance will receive, so the proxy's one
 * request path (proxy-headers.ts, request-guard.ts, instance-choice.ts) reads it as it reads node:http's:
 * - pseudo-headers are not headers: `:authority` becomes `host` (RFC 9113 §8.3.1: it takes the place of Host;
 *   a `host` the client also sent is dropped, so the edge routes and the instance reads the same name);
 * - the `cookie` fields HTTP/2 allows to be split are joined with "; " (RFC 9113 §8.2.3, required before
 *   passing them to HTTP/1.1);
 * - a body without `content-length` (DATA frames after a HEADERS frame without END_STREAM) is marked
 *   `transfer-encoding: chunked`, which is how it is sent upstream and how the body limit counts it.
 * nghttp2 has already refused connection-specific headers, a `te` other than trailers, uppercase names and
 * DATA that does not add up to `content-length` (RFC 9113 §8.2.2, §8.1.1).
 */
export class EdgeH2Request extends Http2ServerRequest {
  override readonly rawHeaders: string[];
  override readonly headers: IncomingHttpHeaders;

  constructor(stream: ServerHttp2Stream, headers: IncomingHttpHeaders, options: ReadableOptions, rawHeaders: string[]) {
    super(stream, headers, options, rawHeaders);
    this.rawHeaders = http1RawHeaders(rawHeaders, stream.endAfterHeaders);
    this.headers = http1Headers(this.rawHeaders);
  }
}

/** The flat [name, value, …] list of an HTTP/1.1 request carrying the same fields as an HTTP/2 header list. */
export function http1RawHeaders(raw: readonly string[], endAfterHeaders: boolean): string[] {
  const out: string[] = [];
  let authority: string | undefined;
  let host: string | undefined;
  let cookie: string | undefined;
  let length = false;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    const value = raw[i + 1] as string;
    if (name.charCodeAt(0) === 58 /* ":" */) {
      if (name === ":authority") authority ??= value;
      continue;
    }
    if (name === "host") host ??= value;
    else if (name === "cookie") cookie = cookie === undefined ? value : `${cookie}; ${value}`;
    else {
      if (name === "content-length") length = true;
      out.push(name, value);
    }
  }
  const target = authority ?? host;
  if (target !== undefined) out.unshift("host", target);
  if (cookie !== undefined) out.push("cookie", cookie);
  if (!endAfterHeaders && !length) out.push("transfer-encoding", "chunked");
  return out;
}

function http1Headers(raw: readonly string[]): IncomingHttpHeaders {
  const out: Record<string, string | string[]> = {};
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    const value = raw[i + 1] as string;
    const previous = out[name];
    if (previous === undefined) out[name] = name === "set-cookie" ? [value] : value;
    else if (Array.isArray(previous)) previous.push(value);
    else out[name] = `${previous}, ${value}`;
  }
  return out;
}
