import type { IncomingMessage, OutgoingHttpHeaders } from "node:http";
import type { Http2ServerRequest } from "node:http2";
import type { H1Request } from "./h1-request.ts";

/**
 * A client request as the proxy reads it: HTTP/1.x from the edge's own server side (h1-server.ts) or node:http's
 * (RAMPART_EDGE_HTTP1=node), or one HTTP/2 stream through node:http2's compatibility API (edge-http2.ts), whose
 * `rawHeaders` and `headers` are reshaped to HTTP/1.1's (h2-request.ts). Its body, when read: bodyStream (h1-request.ts).
 */
export type EdgeRequest = IncomingMessage | Http2ServerRequest | H1Request;

/**
 * What answering an EdgeRequest needs, met by node:http's ServerResponse and by the edge's HTTP/2 response
 * (EdgeH2Response, on node:http2's compatibility API).
 */
export interface EdgeReply {
  readonly headersSent: boolean;
  statusCode: number;
  writeHead(statusCode: number, headers: OutgoingHttpHeaders | string[]): unknown;
  setHeader(name: string, value: string): unknown;
  end(): unknown;
  end(body: string): unknown;
  destroy(): unknown;
  /** HTTP/1.x: false ends the connection after this answer. Moot over HTTP/2, where a stream's framing cannot desync. */
  shouldKeepAlive: boolean;
}
