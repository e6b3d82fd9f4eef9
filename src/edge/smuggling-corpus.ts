import { connect } from "node:net";

/**
 * Malformed and request-smuggling requests, each sent on its own raw TCP connection to an edge listener.
 * Every one must get its status and a closed connection; a request marked `/smuggled` inside must never
 * reach an upstream as a request. Shared by the edge's hardening test and the drills (src/drills).
 *
 * `expect`: the status the edge answers, or "closed" when only the closed connection matters (the answer
 * may come from the upstream, as for a WebSocket upgrade the instance declines).
 */
export interface CorpusCase {
  name: string;
  raw: string;
  expect: number | "closed";
}

export const SMUGGLED_PATH = "/smuggled";

const SMUGGLED = `GET ${SMUGGLED_PATH} HTTP/1.1\r\nHost: x\r\n\r\n`;
const POST = "POST / HTTP/1.1\r\nHost: x\r\n";
const CHUNKED_BODY = "3\r\nabc\r\n0\r\n\r\n";

/** Header block larger than any maxHeaderBytes the table allows by default (16 KiB): 431. */
const HUGE_HEADER = `X-Filler: ${"a".repeat(64 * 1024)}\r\n`;

export const SMUGGLING_CORPUS: readonly CorpusCase[] = [
  // Content-Length and Transfer-Encoding together (CL.TE / TE.CL desync).
  {
    name: "CL.TE: Content-Length then chunked",
    raw: `${POST}Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${SMUGGLED}`,
    expect: 400,
  },
  {
    name: "TE.CL: chunked then Content-Length",
    raw: `${POST}Transfer-Encoding: chunked\r\nContent-Length: 40\r\n\r\n0\r\n\r\n${SMUGGLED}`,
    expect: 400,
  },
  {
    name: "TE.CL with Content-Length: 0",
    raw: `${POST}Content-Length: 0\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n`,
    expect: 400,
  },
  // Content-Length variants.
  { name: "duplicate Content-Length, same value", raw: `${POST}Content-Length: 3\r\nContent-Length: 3\r\n\r\nabc`, expect: 400 },
  {
    name: "duplicate Content-Length, different values",
    raw: `${POST}Content-Length: 3\r\nContent-Length: 44\r\n\r\nabc${SMUGGLED}`,
    expect: 400,
  },
  { name: "Content-Length list", raw: `${POST}Content-Length: 3, 3\r\n\r\nabc`, expect: 400 },
  { name: "Content-Length with sign", raw: `${POST}Content-Length: +3\r\n\r\nabc`, expect: 400 },
  { name: "negative Content-Length", raw: `${POST}Content-Length: -1\r\n\r\nabc`, expect: 400 },
  { name: "hexadecimal Content-Length", raw: `${POST}Content-Length: 0x3\r\n\r\nabc`, expect: 400 },
  { name: "Content-Length with inner space", raw: `${POST}Content-Length: 3 3\r\n\r\nabc`, expect: 400 },
  { name: "Content-Length overflow", raw: `${POST}Content-Length: 99999999999999999999999\r\n\r\nabc`, expect: 400 },
  { name: "space before colon in Content-Length", raw: `${POST}Content-Length : 3\r\n\r\nabc`, expect: 400 },
  // Transfer-Encoding variants.
  { name: "chunked not last", raw: `${POST}Transfer-Encoding: chunked, gzip\r\n\r\n${CHUNKED_BODY}`, expect: 400 },
  {
    name: "coding before chunked (edge would drop it)",
    raw: `${POST}Transfer-Encoding: gzip, chunked\r\n\r\n${CHUNKED_BODY}`,
    expect: 501,
  },
  { name: "Transfer-Encoding: identity", raw: `${POST}Transfer-Encoding: identity\r\n\r\nabc`, expect: 501 },
  {
    name: "duplicate Transfer-Encoding",
    raw: `${POST}Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n${CHUNKED_BODY}`,
    expect: 400,
  },
  {
    name: "space before colon in Transfer-Encoding",
    raw: `${POST}Transfer-Encoding : chunked\r\n\r\n${CHUNKED_BODY}${SMUGGLED}`,
    expect: 400,
  },
  { name: "vertical tab before chunked", raw: `${POST}Transfer-Encoding: \x0bchunked\r\n\r\n${CHUNKED_BODY}`, expect: 400 },
  { name: "xchunked", raw: `${POST}Transfer-Encoding: xchunked\r\n\r\n${CHUNKED_BODY}`, expect: 501 },
  { name: "obs-fold Transfer-Encoding", raw: `${POST}Transfer-Encoding:\r\n chunked\r\n\r\n${CHUNKED_BODY}`, expect: 400 },
  {
    name: "Transfer-Encoding in HTTP/1.0",
    raw: `POST / HTTP/1.0\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n${CHUNKED_BODY}`,
    expect: 400,
  },
  // Chunked body syntax.
  { name: "invalid chunk size", raw: `${POST}Transfer-Encoding: chunked\r\n\r\n3x\r\nabc\r\n0\r\n\r\n`, expect: 400 },
  { name: "chunk size overflow", raw: `${POST}Transfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\nabc\r\n0\r\n\r\n`, expect: 400 },
  { name: "chunk data without CRLF", raw: `${POST}Transfer-Encoding: chunked\r\n\r\n3\r\nabcX0\r\n\r\n${SMUGGLED}`, expect: 400 },
  { name: "chunked with bare LF", raw: `${POST}Transfer-Encoding: chunked\r\n\r\n3\nabc\n0\n\n${SMUGGLED}`, expect: 400 },
  {
    name: "Content-Length in trailers",
    raw: `${POST}Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nContent-Length: 44\r\n\r\n${SMUGGLED}`,
    expect: 400,
  },
  // Request line and header syntax.
  { name: "bare LF line endings", raw: "GET / HTTP/1.1\nHost: x\n\n", expect: 400 },
  { name: "bare CR", raw: "GET / HTTP/1.1\rHost: x\r\n\r\n", expect: 400 },
  { name: "two Host headers", raw: "GET / HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n", expect: 400 },
  { name: "Host with a path", raw: "GET / HTTP/1.1\r\nHost: x/admin\r\n\r\n", expect: 400 },
  { name: "Host with userinfo", raw: "GET / HTTP/1.1\r\nHost: a@x\r\n\r\n", expect: 400 },
  { name: "no Host in HTTP/1.1", raw: "GET / HTTP/1.1\r\n\r\n", expect: 400 },
  { name: "NUL in a header value", raw: "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n", expect: 400 },
  { name: "space in a header name", raw: "GET / HTTP/1.1\r\nHost: x\r\nX A: 1\r\n\r\n", expect: 400 },
  { name: "obs-fold header", raw: "GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n 2\r\n\r\n", expect: 400 },
  { name: "invalid method", raw: "G@T / HTTP/1.1\r\nHost: x\r\n\r\n", expect: 400 },
  { name: "HTTP/1.2", raw: "GET / HTTP/1.2\r\nHost: x\r\n\r\n", expect: 400 },
  { name: "HTTP/0.9 request line", raw: "GET /\r\n\r\n", expect: 400 },
  { name: "space in target", raw: "GET /a b HTTP/1.1\r\nHost: x\r\n\r\n", expect: 400 },
  { name: "leading whitespace", raw: " GET / HTTP/1.1\r\nHost: x\r\n\r\n", expect: 400 },
  { name: "headers over the size limit", raw: `GET / HTTP/1.1\r\nHost: x\r\n${HUGE_HEADER}\r\n`, expect: 431 },
  // Tunnels: nothing the client sends after the head reaches the upstream unless it accepted a WebSocket.
  { name: "CONNECT", raw: `CONNECT x:443 HTTP/1.1\r\nHost: x:443\r\n\r\n${SMUGGLED}`, expect: "closed" },
  {
    name: "WebSocket upgrade the upstream declines, then a smuggled request",
    raw: `GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n${SMUGGLED}`,
    expect: "closed",
  },
  // Issue 19: an Upgrade the edge does not tunnel is served as a plain request; Node's parser stops reading after it.
  {
    name: "Upgrade: h2c, then a pipelined request (answered, then closed, never left hanging)",
    raw: `GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n${SMUGGLED}`,
    expect: "closed",
  },
  // Issue 19: the valid request is answered (the instance ran it), then the 400 for the garbage, then the close.
  { name: "valid request followed by garbage", raw: `${POST}Content-Length: 2\r\n\r\nokGARBAGE\x01 / HTTP/1.1\r\n\r\n`, expect: "closed" },
];

export interface CorpusResult {
  name: string;
  expect: number | "closed";
  /** The status line's code, or null when the connection closed without one. */
  status: number | null;
  closed: boolean;
  ok: boolean;
}

/** Sends each case on a fresh connection, one after another, and reports status and closure. */
export async function runCorpus(
  port: number,
  host = "127.0.0.1",
  cases: readonly CorpusCase[] = SMUGGLING_CORPUS,
  timeoutMs = 5_000,
): Promise<CorpusResult[]> {
  const results: CorpusResult[] = [];
  for (const c of cases) {
    const { status, closed } = await sendRaw(port, host, c.raw, timeoutMs);
    const ok = closed && (c.expect === "closed" || status === c.expect);
    results.push({ name: c.name, expect: c.expect, status, closed, ok });
  }
  return results;
}

/** Writes `raw` and reads until the server closes the connection or `timeoutMs` passes (then: not closed). */
export function sendRaw(
  port: number,
  host: string,
  raw: string,
  timeoutMs: number,
): Promise<{ status: number | null; closed: boolean; text: string }> {
  return new Promise((resolve) => {
    const socket = connect({ port, host });
    const chunks: Buffer[] = [];
    let done = false;
    const finish = (closed: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      const text = Buffer.concat(chunks).toString("latin1");
      const match = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      resolve({ status: match === null ? null : Number(match[1]), closed, text });
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    let connected = false;
    socket.on("connect", () => (connected = true));
    // A reset after the answer (the edge destroys a connection it will not read further) is a close too;
    // a refused connection is not (nothing was tested).
    socket.on("error", () => finish(connected));
    socket.on("close", () => finish(true));
    socket.write(raw, "latin1");
  });
}
