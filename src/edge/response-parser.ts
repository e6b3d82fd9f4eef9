/**
 * A strict HTTP/1.1 response parser for the edge's upstream connections: status line, headers, and the
 * body framed by Content-Length, chunked encoding or the connection's end. Anything ambiguous (two
 * different Content-Lengths, folded or malformed header lines, a bad chunk size) is an error, never a
 * guess: a response the edge cannot frame exactly is answered 502 and its connection is dropped.
 */
export interface ResponseEvents {
  /** Final (non-1xx) status and headers: flat [lower-case name, value, …] in arrival order. */
  head(status: number, headers: string[]): void;
  /** A piece of the (de-chunked) body. */
  body(chunk: Buffer): void;
  complete(): void;
  error(message: string): void;
}

const HEAD = 0;
const LENGTH = 1;
const CHUNK_SIZE = 2;
const CHUNK_DATA = 3;
const CHUNK_DATA_END = 4;
const TRAILERS = 5;
const UNTIL_CLOSE = 6;
const DONE = 7;
const FAILED = 8;

const MAX_HEAD_BYTES = 64 * 1024;
const MAX_LINE_BYTES = 8 * 1024;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Control characters other than tab (llhttp and Node's writeHead refuse them too); obs-text (0x80-0xff) is allowed. */
const INVALID_VALUE = /[^\t\x20-\x7e\x80-\xff]/;
const DIGITS = /^\d{1,15}$/;
const HEX = /^[0-9A-Fa-f]{1,12}$/;
const CHUNK_EXTENSIONS = /^(?:;[!#$%&'*+\-.^_`|~0-9A-Za-z]+(?:=(?:[!#$%&'*+\-.^_`|~0-9A-Za-z]+|"(?:[^"\\\r\n]|\\[^\r\n])*"))?)*$/;
const CRLF_CRLF = Buffer.from("\r\n\r\n");

export class ResponseParser {
  private readonly events: ResponseEvents;
  private state = DONE;
  private pending: Buffer | undefined;
  private remaining = 0;
  private headRequest = false;
  /** Whether the connection may carry another request once this response is complete. */
  reusable = false;
  /** The upstream's Keep-Alive: timeout=N hint in ms (-1: none). */
  keepAliveHintMs = -1;

  constructor(events: ResponseEvents) {
    this.events = events;
  }

  /** Expects the response to a new request (`head`: a HEAD request, whose response has no body). */
  expect(headRequest: boolean): void {
    this.state = HEAD;
    this.pending = undefined;
    this.remaining = 0;
    this.headRequest = headRequest;
    this.reusable = false;
    this.keepAliveHintMs = -1;
  }

  /** A getter rather than a field test: the state changes inside calls, which TypeScript's narrowing ignores. */
  get done(): boolean {
    return this.state === DONE;
  }

  /** Bytes from the socket. Bytes after a complete response make the connection unusable. */
  feed(input: Buffer): void {
    const data = this.pending === undefined ? input : Buffer.concat([this.pending, input]);
    this.pending = undefined;
    let at = 0;
    while (at < data.length) {
      switch (this.state) {
        case HEAD: {
          const end = data.indexOf(CRLF_CRLF, at);
          if (end === -1) {
            if (data.length - at > MAX_HEAD_BYTES) return this.fail("response head too large");
            this.pending = data.subarray(at);
            return;
          }
          this.parseHead(data.toString("latin1", at, end));
          at = end + 4;
          if (this.done) this.finish(at < data.length);
          break;
        }
        case LENGTH: {
          const n = Math.min(this.remaining, data.length - at);
          this.remaining -= n;
          const chunk = at === 0 && n === data.length ? data : data.subarray(at, at + n);
          at += n;
          if (this.remaining === 0) this.state = DONE;
          this.events.body(chunk);
          if (this.done) this.finish(at < data.length);
          break;
        }
        case CHUNK_SIZE:
        case CHUNK_DATA_END:
        case TRAILERS: {
          const eol = data.indexOf(10, at); // "\n"; the byte before must be "\r"
          if (eol === -1) {
            if (data.length - at > MAX_LINE_BYTES) return this.fail("chunk line too long");
            this.pending = data.subarray(at);
            return;
          }
          if (eol === at || data[eol - 1] !== 13) return this.fail("bare LF in chunked body");
          const line = data.toString("latin1", at, eol - 1);
          at = eol + 1;
          this.chunkLine(line);
          if (this.done) this.finish(at < data.length);
          break;
        }
        case CHUNK_DATA: {
          const n = Math.min(this.remaining, data.length - at);
          this.remaining -= n;
          const chunk = data.subarray(at, at + n);
          at += n;
          if (this.remaining === 0) this.state = CHUNK_DATA_END;
          this.events.body(chunk);
          break;
        }
        case UNTIL_CLOSE: {
          const chunk = at === 0 ? data : data.subarray(at);
          at = data.length;
          this.events.body(chunk);
          break;
        }
        default:
          // DONE or FAILED: the upstream sent bytes nobody asked for; the owner must drop the connection.
          this.reusable = false;
          return;
      }
      if (this.failed) return;
    }
  }

  private get failed(): boolean {
    return this.state === FAILED;
  }

  /** The upstream closed its side: the end of an until-close body, an error anywhere else. */
  end(): void {
    if (this.state === UNTIL_CLOSE) {
      this.state = DONE;
      this.finish(false);
    } else if (this.state !== DONE && this.state !== FAILED) {
      this.fail("upstream closed the connection before the response was complete");
    }
  }

  private parseHead(head: string): void {
    // Lines are walked with indexOf rather than split, and values cut once without trim(): a response
    // head is parsed per request, so every avoided string is garbage the worker does not collect.
    let eol = head.indexOf("\r\n");
    const statusLine = eol === -1 ? head : head.slice(0, eol);
    // "HTTP/1.x NNN reason": the reason phrase is optional and ignored.
    if (!statusLine.startsWith("HTTP/1.") || statusLine.length < 12 || statusLine.charCodeAt(8) !== 32)
      return this.fail("malformed status line");
    const minor = statusLine.charCodeAt(7) - 48;
    const status = digit(statusLine, 9) * 100 + digit(statusLine, 10) * 10 + digit(statusLine, 11);
    if ((minor !== 0 && minor !== 1) || !(status >= 100 && status <= 999) || (statusLine.length > 12 && statusLine.charCodeAt(12) !== 32)) {
      return this.fail("malformed status line");
    }
    // A bare CR or LF would end the line for another parser: what follows it would be a header to one and not the other.
    if (hasBareLineBreak(statusLine)) return this.fail("bare CR or LF in the status line");
    const headers: string[] = [];
    let contentLength = -1;
    let chunked = false;
    let transferEncoding = false;
    let close = minor === 0;
    while (eol !== -1) {
      const start = eol + 2;
      eol = head.indexOf("\r\n", start);
      const end = eol === -1 ? head.length : eol;
      const colon = head.indexOf(":", start);
      if (colon <= start || colon >= end) return this.fail("malformed header line");
      const rawName = head.slice(start, colon);
      if (!TOKEN.test(rawName)) return this.fail("invalid header name");
      let from = colon + 1;
      let to = end;
      while (from < to && isOws(head.charCodeAt(from))) from++;
      while (to > from && isOws(head.charCodeAt(to - 1))) to--;
      const value = head.slice(from, to);
      if (INVALID_VALUE.test(value)) return this.fail("invalid header value");
      const name = rawName.toLowerCase();
      if (name === "content-length") {
        // One plain number, as llhttp has it: a second one (even equal) or a list is refused, not reconciled.
        if (contentLength !== -1) return this.fail("duplicate content-length");
        if (!DIGITS.test(value)) return this.fail("invalid content-length");
        contentLength = Number(value);
      } else if (name === "transfer-encoding") {
        // llhttp reads `chunked<TAB>` as some other coding (the body then runs to the close) where trimming the
        // value would read chunked: two framings of one response. A tab past the value's start is refused.
        const tab = head.indexOf("\t", from);
        if (tab !== -1 && tab < end) return this.fail("tab inside transfer-encoding");
        // An empty value leaves llhttp's reading of an earlier `chunked` as it was, where a reader taking the last
        // header's last coding would read to the close: two framings again, so it is refused.
        if (value === "") return this.fail("empty transfer-encoding");
        transferEncoding = true;
        // Only a final "chunked" frames the body; any other coding is read until the connection closes.
        chunked = value.toLowerCase().split(",").at(-1)?.trim() === "chunked";
      } else if (name === "connection") {
        const v = value.toLowerCase();
        if (v.includes("close")) close = true;
        else if (minor === 0 && v.includes("keep-alive")) close = false;
      } else if (name === "keep-alive") {
        const m = /timeout\s*=\s*(\d+)/i.exec(value);
        if (m?.[1] !== undefined) this.keepAliveHintMs = Number(m[1]) * 1000;
      }
      headers.push(name, value);
    }
    // RFC 9112 §6.3: "ought to be handled as an error" (a smuggling or splitting attempt); llhttp refuses it too.
    if (transferEncoding && contentLength !== -1) return this.fail("both content-length and transfer-encoding");
    if (status < 200) {
      // 1xx informational (100 Continue, 103 Early Hints): not forwarded, the final answer follows.
      // 101 would switch protocols, which the edge never asked for.
      if (status === 101) return this.fail("unexpected 101 Switching Protocols");
      return;
    }
    this.events.head(status, headers);
    if (this.state === FAILED) return;
    this.reusable = !close;
    if (this.headRequest || status === 204 || status === 304) {
      this.state = DONE;
    } else if (transferEncoding) {
      this.state = chunked ? CHUNK_SIZE : UNTIL_CLOSE;
      if (!chunked) this.reusable = false;
    } else if (contentLength !== -1) {
      this.remaining = contentLength;
      this.state = contentLength === 0 ? DONE : LENGTH;
    } else {
      this.state = UNTIL_CLOSE;
      this.reusable = false;
    }
  }

  private chunkLine(line: string): void {
    if (this.state === CHUNK_DATA_END) {
      if (line !== "") return this.fail("chunk data longer than its size");
      this.state = CHUNK_SIZE;
      return;
    }
    if (this.state === TRAILERS) {
      // Trailers are read and dropped (as undici's default proxying did); an empty line ends the body. They are
      // checked as llhttp checks them: a malformed one means the upstream's framing is not what it seems.
      if (line === "") this.state = DONE;
      else {
        const problem = trailerProblem(line);
        if (problem !== undefined) this.fail(problem);
      }
      return;
    }
    // No whitespace around the size, extensions as llhttp reads them (`;name`, `;name=token` or a quoted string).
    const semicolon = line.indexOf(";");
    const size = semicolon === -1 ? line : line.slice(0, semicolon);
    if (!HEX.test(size)) return this.fail("invalid chunk size");
    if (semicolon !== -1 && !CHUNK_EXTENSIONS.test(line.slice(semicolon))) return this.fail("invalid chunk extension");
    this.remaining = parseInt(size, 16);
    this.state = this.remaining === 0 ? TRAILERS : CHUNK_DATA;
  }

  private finish(extraBytes: boolean): void {
    if (extraBytes) this.reusable = false;
    this.events.complete();
  }

  private fail(message: string): void {
    this.state = FAILED;
    this.reusable = false;
    this.pending = undefined;
    this.events.error(message);
  }
}

/** What is wrong with a trailer field line (RFC 9112 §7.1.2), as llhttp judges it; undefined when nothing is. */
function trailerProblem(line: string): string | undefined {
  const colon = line.indexOf(":");
  if (colon <= 0) return "malformed trailer line";
  const name = line.slice(0, colon);
  if (!TOKEN.test(name)) return "invalid trailer name";
  if (INVALID_VALUE.test(line.slice(colon + 1))) return "invalid trailer value";
  // A length after the body it would have framed: llhttp refuses it, and so does the edge.
  if (name.length === 14 && name.toLowerCase() === "content-length") return "content-length in trailers";
  return undefined;
}

function hasBareLineBreak(text: string): boolean {
  return text.includes("\r") || text.includes("\n");
}

/** Optional whitespace around a header value (RFC 9110 5.6.3): space or tab. */
function isOws(c: number): boolean {
  return c === 32 || c === 9;
}

/** The decimal digit at `i`, or NaN (which fails any range check) when it is not one. */
function digit(text: string, i: number): number {
  const d = text.charCodeAt(i) - 48;
  return d >= 0 && d <= 9 ? d : Number.NaN;
}
