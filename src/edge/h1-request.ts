import type { IncomingHttpHeaders } from "node:http";
import type { Socket } from "node:net";
import { Readable } from "node:stream";
import type { EdgeRequest } from "./edge-request.types.ts";

/**
 * A request as the edge's own HTTP/1.x server (h1-server.ts) hands it to the proxy: the fields the proxy reads from
 * node:http's IncomingMessage, without a stream per request. `body` exists only when the request has one
 * (Content-Length or chunked); it is what undici sends upstream.
 */
export class H1Request {
  readonly method: string;
  readonly url: string;
  readonly rawHeaders: string[];
  readonly httpVersionMajor = 1;
  readonly httpVersionMinor: 0 | 1;
  readonly httpVersion: "1.0" | "1.1";
  readonly socket: Socket;
  readonly body: H1BodyStream | undefined;
  private built: IncomingHttpHeaders | undefined;

  constructor(method: string, url: string, httpMinor: 0 | 1, rawHeaders: string[], socket: Socket, body: H1BodyStream | undefined) {
    this.method = method;
    this.url = url;
    this.httpVersionMinor = httpMinor;
    this.httpVersion = httpMinor === 1 ? "1.1" : "1.0";
    this.rawHeaders = rawHeaders;
    this.socket = socket;
    this.body = body;
  }

  /** Built on first use: most requests are forwarded from rawHeaders alone. */
  get headers(): IncomingHttpHeaders {
    this.built ??= headersOf(this.rawHeaders);
    return this.built;
  }
}

/**
 * A request body as the connection parses it. The connection pushes de-chunked bytes; when the consumer is slower
 * than the client (push returns false) the connection stops reading the socket until `_read` asks for more.
 */
export class H1BodyStream extends Readable {
  private readonly wanted: () => void;

  constructor(wanted: () => void) {
    super();
    this.wanted = wanted;
  }

  override _read(): void {
    this.wanted();
  }
}

/** Fields whose duplicates node:http drops (the first one wins), so the edge reads them as it did. */
const SINGLE: ReadonlySet<string> = new Set([
  "content-type",
  "content-length",
  "user-agent",
  "referer",
  "host",
  "authorization",
  "proxy-authorization",
  "if-modified-since",
  "if-unmodified-since",
  "from",
  "location",
  "max-forwards",
  "retry-after",
  "etag",
  "last-modified",
  "server",
  "age",
  "expires",
]);

/** node:http's `req.headers`: lower-case names; duplicates dropped, joined with ", " (cookie: "; "), or listed (set-cookie). */
export function headersOf(raw: readonly string[]): IncomingHttpHeaders {
  const out: Record<string, string | string[]> = {};
  for (let i = 0; i < raw.length; i += 2) {
    const name = (raw[i] as string).toLowerCase();
    const value = raw[i + 1] as string;
    const previous = out[name];
    if (previous === undefined) out[name] = name === "set-cookie" ? [value] : value;
    else if (Array.isArray(previous)) previous.push(value);
    else if (SINGLE.has(name)) continue;
    else out[name] = `${previous}${name === "cookie" ? "; " : ", "}${value}`;
  }
  return out;
}

/**
 * The request's body as a stream: node:http's and node:http2's requests are their own body; the edge's HTTP/1.x
 * request carries one only when it has a body (a bodyless one reads as empty).
 */
export function bodyStream(req: EdgeRequest): Readable {
  if (!(req instanceof H1Request)) return req;
  return req.body ?? Readable.from([]);
}
