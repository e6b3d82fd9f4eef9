import { ServerResponse, type IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import type { EdgeErrorCode } from "../shared/error-catalogue.ts";

/**
 * What Node's HTTP parser refuses (ambiguous or invalid framing, oversized headers, slow headers) arrives
 * as a 'clientError' on the server, before any request exists. The edge answers with a short status and
 * `Connection: close`, then drops the connection: after a framing error nothing that follows on it can
 * be trusted to be a request boundary.
 *
 * Requests parsed completely before the bad bytes were already forwarded (the app runs them as soon as they
 * are whole): their answers go out first, then the error, so no request runs with its answer thrown away.
 */
export function onClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  // Node reports every later chunk on a failed parser again; the first report decides.
  if (reported.has(socket)) return;
  reported.add(socket);
  const code = error.code ?? "";
  if (code === "ECONNRESET" || !socket.writable) {
    socket.destroy();
    return;
  }
  if (!insideRequest(socket)) {
    afterResponses(socket, () => answer(socket, code));
    return;
  }
  // The error is inside a request still being received: its exchange cannot complete.
  if (responseStarted(socket)) socket.destroy();
  else answer(socket, code);
}

const reported = new WeakSet<Duplex>();

function answer(socket: Duplex, code: string): void {
  if (!socket.writable) return void socket.destroy();
  const [status, reason, message] = answerFor(code);
  socket.end(rawResponse(status, reason, message));
  // A client that never reads its answer must not hold the socket.
  setTimeout(() => socket.destroy(), 1_000).unref();
}

/** Node's view of the connection; internal, so every field is read defensively. */
interface HttpSocketState {
  /** The response being written on the socket (pipelined ones queue behind it). */
  _httpMessage?: ServerResponse | null;
  /** The connection's parser and the request it parsed last. */
  parser?: { incoming?: IncomingMessage | null } | null;
}

function httpState(socket: Duplex): HttpSocketState {
  return socket as unknown as HttpSocketState;
}

/** True when the bad bytes are part of a request still being received (a bad chunk, a slow body). */
function insideRequest(socket: Duplex): boolean {
  const incoming = httpState(socket).parser?.incoming;
  return incoming !== undefined && incoming !== null && !incoming.complete;
}

/** Runs `then` once every response of the connection is finished (Node assigns the next queued one on 'finish'). */
function afterResponses(socket: Duplex, then: () => void): void {
  const current = httpState(socket)._httpMessage;
  if (!(current instanceof ServerResponse) || current.writableFinished) return then();
  current.once("finish", () => afterResponses(socket, then));
}

function answerFor(code: string): [number, string, string] {
  if (code === "HPE_HEADER_OVERFLOW") return [431, "Request Header Fields Too Large", "request headers are over the limit"];
  if (code === "ERR_HTTP_REQUEST_TIMEOUT" || code === "HPE_HEADERS_TIMEOUT")
    return [408, "Request Timeout", "the request was not received in time"];
  return [400, "Bad Request", `malformed request (${code || "parse error"})`];
}

/** A response is already on the wire: a status line now would corrupt it. */
function responseStarted(socket: Duplex): boolean {
  const current = httpState(socket)._httpMessage;
  return current instanceof ServerResponse && current.headersSent;
}

/** A complete HTTP/1.1 response the edge writes itself on a raw socket (client errors, refused upgrades). */
export function rawResponse(status: number, reason: string, message: string, extra: Record<string, string> = {}): string {
  const body = JSON.stringify({ error: { code: codeFor(status), message } });
  let head = `HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\n`;
  for (const [name, value] of Object.entries(extra)) head += `${name}: ${value}\r\n`;
  return `${head}cache-control: no-store\r\nconnection: close\r\n\r\n${body}`;
}

function codeFor(status: number): EdgeErrorCode {
  switch (status) {
    case 401:
      return "auth_required";
    case 403:
      return "auth_forbidden";
    case 408:
      return "request_timeout";
    case 413:
      return "payload_too_large";
    case 429:
      return "rate_limited";
    case 431:
      return "header_too_large";
    case 501:
      return "not_implemented";
    case 502:
      return "bad_gateway";
    case 503:
      return "no_healthy_instance";
    case 504:
      return "gateway_timeout";
    case 404:
      return "no_route";
    default:
      return "bad_request";
  }
}

const HOST = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._~!$&'()*+,;=%-]*)(?::[0-9]{0,5})?$/;

export interface FramingProblem {
  status: 400 | 501;
  message: string;
}

/**
 * What Node's parser lets through but the edge must not forward, because the upstream (or the edge's own
 * routing) could read it differently (RFC 9112 §3.2, §6.1): a second Host, an invalid Host, a transfer
 * coding other than chunked (dropped when the edge re-frames the body), Transfer-Encoding in HTTP/1.0,
 * and HTTP/0.9.
 */
export function framingProblem(
  req: Pick<IncomingMessage, "httpVersionMajor" | "httpVersionMinor" | "httpVersion" | "rawHeaders">,
): FramingProblem | undefined {
  if (req.httpVersionMajor !== 1) return { status: 400, message: `HTTP/${req.httpVersion} is not supported` };
  // One pass over the raw list: the edge's own server builds `req.headers` only when something reads it, and
  // counting Host headers takes the raw list anyway (req.headers keeps the first).
  const raw = req.rawHeaders;
  let hosts = 0;
  let hostProblem: FramingProblem | undefined;
  let te: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    if (name.length === 17 && name.toLowerCase() === "transfer-encoding") {
      // Joined as req.headers joins repeated fields.
      te = te === undefined ? (raw[i + 1] as string) : `${te}, ${raw[i + 1] as string}`;
      continue;
    }
    if (name.length !== 4 || name.toLowerCase() !== "host" || hostProblem !== undefined) continue;
    if (++hosts > 1) hostProblem = { status: 400, message: "more than one Host header" };
    else if (!HOST.test(raw[i + 1] as string)) hostProblem = { status: 400, message: "invalid Host header" };
  }
  if (te !== undefined) {
    if (req.httpVersionMinor === 0) return { status: 400, message: "Transfer-Encoding is not allowed in an HTTP/1.0 request" };
    if (te.trim().toLowerCase() !== "chunked") return { status: 501, message: `Transfer-Encoding "${te}" is not supported (only chunked)` };
  }
  return hostProblem;
}
