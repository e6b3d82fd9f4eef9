import { METHODS } from "node:http";
import { CR, DIGIT, FIELD_VALUE, HTAB, LF, SP, TARGET, TOKEN } from "./h1-chars.ts";
import {
  badByte,
  CONNECTION_CLOSE,
  CONNECTION_KEEP_ALIVE,
  CONNECTION_UPGRADE,
  chunkSizeLine,
  connectionFlags,
  contentLengthValue,
  fail,
  methodName,
  nameIs,
  targetProblem,
  transferCodings,
  validHost,
} from "./h1-fields.ts";

/**
 * The edge's own strict HTTP/1.1 request parser (RFC 9112), in place of node:http's llhttp on the client side.
 * It refuses everything llhttp refuses with `insecureHTTPParser: false`, plus what `framingProblem` refused after
 * llhttp (a second or invalid Host, a transfer coding other than chunked, Transfer-Encoding in HTTP/1.0, no Host
 * in HTTP/1.1) and a few inputs llhttp reads one way and other servers another (see docs/edge.md). The interface
 * is the one agreed in the h1 brief: execute() stops after each message and after an upgrade head.
 *
 * Heads are read a line at a time straight from the caller's buffer; only a line cut by the end of a buffer is
 * copied (into `pending`), so a head that arrives whole is parsed without a copy and with one string per field.
 */

declare global {
  interface Buffer {
    /** Node's own latin1 decoder (what toString("latin1") calls after checking its arguments), undocumented but stable. */
    latin1Slice(start: number, end: number): string;
  }
}

export interface H1ParserLimits {
  /** Bytes of request line + header lines + CRLFs; over it: 431 (request line alone over it: 414). */
  maxHeaderBytes: number;
  /** Header lines per message. Over it: 431. */
  maxHeaders: number;
}

export type H1Body = { kind: "none" } | { kind: "length"; length: number } | { kind: "chunked" };

/** One request's head, as parsed. Strings are latin1 of the bytes sent (as node:http does). */
export interface H1RequestHead {
  method: string;
  target: string;
  httpMinor: 0 | 1;
  /** [name, value, name, value, ...]: names as sent, values with leading/trailing OWS removed. */
  rawHeaders: string[];
  body: H1Body;
  keepAlive: boolean;
  upgrade: boolean;
  expectContinue: boolean;
}

export interface H1ParseError {
  code: string;
  status: 400 | 413 | 414 | 431 | 501 | 505;
  reason: string;
}

export interface H1ParserHandler {
  onHead(head: H1RequestHead): void;
  onBody(chunk: Buffer): void;
  onMessageEnd(): void;
}

const START = 0;
const HEAD = 1;
const BODY_LENGTH = 2;
const CHUNK_SIZE = 3;
const CHUNK_DATA = 4;
const CHUNK_DATA_CR = 5;
const CHUNK_DATA_LF = 6;
const TRAILERS = 7;
const UPGRADED = 8;
const DEAD = 9;

/** Bytes of a head turned into one string at a time (see H1RequestParser.text). */
const TEXT_WINDOW = 2048;

const KNOWN_METHODS: ReadonlySet<string> = new Set(METHODS);
/** Node refuses more than 16 KiB of chunk extensions (CVE-2024-22019) with a 413; one chunk line may not exceed it here. */
const MAX_CHUNK_LINE = 16 * 1024;

const BODY_NONE: H1Body = Object.freeze({ kind: "none" });
const BODY_CHUNKED: H1Body = Object.freeze({ kind: "chunked" });

/** The line handlers' answer: an error, STOP (message end or upgrade head: return to the caller) or GO. */
const GO = 0;
const STOP = 1;
type LineResult = H1ParseError | typeof GO | typeof STOP;

export class H1RequestParser {
  private readonly handler: H1ParserHandler;
  private readonly limits: H1ParserLimits;
  private state = START;
  private error: H1ParseError | undefined;
  /** A line cut by the end of a buffer, waiting for the rest (never holds an LF). */
  private pending: Buffer = Buffer.alloc(0);
  private pendingLen = 0;
  /** Bytes of this message's head (request line, header lines, CRLFs), then of its trailers. */
  private headBytes = 0;
  /** Body bytes left in a Content-Length body or the current chunk. */
  private remaining = 0;

  // The head being read: fields rather than an object, so a request allocates only what it hands over.
  private method = "";
  private target = "";
  private minor: 0 | 1 = 1;
  private rawHeaders: string[] = [];
  private contentLength = -1;
  private transferEncodings = 0;
  /** 0: no chunked; 1: chunked is the only coding; 2: another coding (501). */
  private codings = 0;
  private hosts = 0;
  /** CONNECTION_* flags from the Connection fields. */
  private connection = 0;
  private hasUpgrade = false;
  private expectContinue = false;
  /**
   * One string for the head's bytes in the current buffer, which fields are sliced from: a C++ call per head rather
   * than one per field (V8 slices long strings without copying). Valid for one execute() call: the caller may reuse
   * its buffer.
   */
  private textBuf: Buffer | undefined;
  private textStart = 0;
  private textEnd = 0;
  private textString = "";
  /** The last message did not keep the connection alive: only stray CR/LF may follow it (as llhttp has it). */
  private closed = false;

  constructor(handler: H1ParserHandler, limits: H1ParserLimits) {
    this.handler = handler;
    this.limits = limits;
  }

  /** Between messages (nothing of the next one received yet). */
  get idle(): boolean {
    return this.state === START && this.pendingLen === 0 && this.headBytes === 0;
  }

  reset(): void {
    this.state = START;
    this.error = undefined;
    this.pendingLen = 0;
    this.remaining = 0;
    this.closed = false;
    this.textBuf = undefined;
    this.newMessage();
  }

  finish(): H1ParseError | undefined {
    // Only empty lines since the last message (or nothing): the connection ended between requests.
    if (this.state === DEAD || this.state === UPGRADED || (this.state === START && this.pendingLen === 0)) return undefined;
    return this.die(fail("incomplete_message", 400, "the connection ended inside a request: send the whole head and body before closing"));
  }

  execute(data: Buffer): number | H1ParseError {
    this.textBuf = undefined;
    if (this.state === DEAD) return this.error!;
    // After an upgrade head the bytes belong to the tunnel: reset() before parsing HTTP on this object again.
    if (this.state === UPGRADED) return 0;
    let at = 0;
    if (this.pendingLen > 0) {
      // Complete the cut line in `pending` with this buffer's first line, then go on in the buffer itself.
      const lf = data.indexOf(LF);
      const take = lf === -1 ? data.length : lf + 1;
      const over = this.overLimit(this.pendingLen + take);
      if (over !== undefined) return this.die(over);
      this.hold(data, 0, take);
      if (lf === -1) return data.length;
      const lineEnd = this.pendingLen - 1;
      this.pendingLen = 0;
      const result = this.line(this.pending, 0, lineEnd);
      if (result !== GO) return result === STOP ? take : this.die(result);
      at = take;
    }
    while (at < data.length) {
      if (this.state === START && this.pendingLen === 0) {
        // Stray CR and LF between messages are skipped, as llhttp does (RFC 9112 §2.2 asks for at least CRLF).
        while (at < data.length && (data[at] === CR || data[at] === LF)) at++;
        if (at === data.length) return at;
        if (this.closed) {
          return this.die(
            fail(
              "data_after_close",
              400,
              "bytes after a request that closes the connection (Connection: close, or HTTP/1.0): open a new connection",
            ),
          );
        }
      }
      switch (this.state) {
        case START:
        case HEAD:
        case CHUNK_SIZE:
        case TRAILERS: {
          if (this.state === HEAD) {
            const next = this.fastHeaderLine(data, at);
            if (typeof next !== "number") return this.die(next);
            if (next !== -1) {
              at = next;
              break;
            }
          }
          const lf = data.indexOf(LF, at);
          const over = this.overLimit(lf === -1 ? data.length - at : lf + 1 - at);
          if (over !== undefined) return this.die(over);
          if (lf === -1) {
            this.hold(data, at, data.length);
            return data.length;
          }
          const result = this.line(data, at, lf);
          at = lf + 1;
          if (result === STOP) return at;
          if (result !== GO) return this.die(result);
          break;
        }
        case BODY_LENGTH:
        case CHUNK_DATA: {
          const n = Math.min(this.remaining, data.length - at);
          this.remaining -= n;
          const chunk = at === 0 && n === data.length ? data : data.subarray(at, at + n);
          at += n;
          this.handler.onBody(chunk);
          if (this.remaining === 0) {
            if (this.state === CHUNK_DATA) this.state = CHUNK_DATA_CR;
            else return this.endMessage(at);
          }
          break;
        }
        case CHUNK_DATA_CR:
        case CHUNK_DATA_LF: {
          const expected = this.state === CHUNK_DATA_CR ? CR : LF;
          if (data[at] !== expected) {
            return this.die(
              fail("invalid_chunk_data", 400, "chunk data is not followed by CRLF: a chunk must be exactly as long as its size says"),
            );
          }
          at++;
          this.state = this.state === CHUNK_DATA_CR ? CHUNK_DATA_LF : CHUNK_SIZE;
          break;
        }
        default:
          return at;
      }
    }
    return at;
  }

  /** latin1 of buf[start, end), sliced from one string of the head (see textBuf). */
  private text(buf: Buffer, start: number, end: number): string {
    if (buf !== this.textBuf || start < this.textStart || end > this.textEnd) {
      // A window from here: a typical head whole, at most TEXT_WINDOW bytes of a body after it (no search for
      // the head's end, which costs more than copying those bytes); a field past the window starts a new one.
      const to = Math.max(end, Math.min(buf.length, start + TEXT_WINDOW));
      this.textBuf = buf;
      this.textStart = start;
      this.textEnd = to;
      this.textString = buf.latin1Slice(start, to);
    }
    return this.textString.slice(start - this.textStart, end - this.textStart);
  }

  private die(error: H1ParseError): H1ParseError {
    this.state = DEAD;
    this.error = error;
    this.pendingLen = 0;
    return error;
  }

  private endMessage(at: number): number {
    this.state = START;
    this.newMessage();
    this.handler.onMessageEnd();
    return at;
  }

  private newMessage(): void {
    this.headBytes = 0;
    this.rawHeaders = [];
    this.contentLength = -1;
    this.transferEncodings = 0;
    this.codings = 0;
    this.hosts = 0;
    this.connection = 0;
    this.hasUpgrade = false;
    this.expectContinue = false;
  }

  /** Keeps bytes of a line cut by the end of the buffer (a copy: the caller's buffer may be reused). */
  private hold(data: Buffer, from: number, to: number): void {
    const need = this.pendingLen + to - from;
    if (need > this.pending.length) {
      const grown = Buffer.allocUnsafe(Math.max(need, this.pending.length * 2, 256));
      this.pending.copy(grown, 0, 0, this.pendingLen);
      this.pending = grown;
    }
    data.copy(this.pending, this.pendingLen, from, to);
    this.pendingLen = need;
  }

  /** A line (or the cut part of one) of `length` bytes would go over a limit: checked before its content, cut or whole alike. */
  private overLimit(length: number): H1ParseError | undefined {
    if (this.state === CHUNK_SIZE) {
      if (length <= MAX_CHUNK_LINE) return undefined;
      return fail("chunk_extensions_too_large", 413, `a chunk-size line is over ${MAX_CHUNK_LINE} bytes: send chunk extensions shorter`);
    }
    if (this.headBytes + length <= this.limits.maxHeaderBytes) return undefined;
    if (this.state === START) {
      return fail("uri_too_long", 414, `the request line is over ${this.limits.maxHeaderBytes} bytes: send a shorter URL`);
    }
    return fail("header_too_large", 431, `the request head is over ${this.limits.maxHeaderBytes} bytes: send fewer or smaller headers`);
  }

  /** One complete line, `lf` the index of its LF. */
  private line(buf: Buffer, start: number, lf: number): LineResult {
    if (lf === start || buf[lf - 1] !== CR) return badByte(buf, lf, lf, "lone_lf", "");
    this.headBytes += lf + 1 - start;
    const end = lf - 1;
    switch (this.state) {
      case START:
        // RFC 9112 §2.2: empty lines before a request line are ignored (some clients send CRLF after a body).
        if (end === start) return GO;
        this.state = HEAD;
        return this.requestLine(buf, start, end);
      case HEAD:
        return end === start ? this.headEnd() : this.headerLine(buf, start, end, false);
      case CHUNK_SIZE:
        // Chunk lines are not head bytes.
        this.headBytes -= lf + 1 - start;
        return this.chunkSize(chunkSizeLine(buf, start, end));
      default:
        // TRAILERS
        if (end === start) {
          this.endMessage(0);
          return STOP;
        }
        return this.headerLine(buf, start, end, true);
    }
  }

  private requestLine(buf: Buffer, start: number, end: number): LineResult {
    let i = start;
    while (i < end && TOKEN[buf[i]!] === 1) i++;
    if (i === start || buf[i] !== SP) {
      return badByte(buf, i, end, "invalid_method", "the request line must start with a method token and one space (RFC 9112 §3)");
    }
    const method = methodName(buf, start, i) ?? this.text(buf, start, i);
    if (!KNOWN_METHODS.has(method)) {
      return fail("unknown_method", 501, `method "${method}" is not one the edge forwards: use a standard method such as GET or POST`);
    }
    const targetStart = ++i;
    while (i < end && TARGET[buf[i]!] === 1) i++;
    if (i === end) {
      return fail(
        "invalid_request_line",
        400,
        "the request line has no HTTP version: send METHOD TARGET HTTP/1.1 (HTTP/0.9 is not served)",
      );
    }
    if (i === targetStart || buf[i] !== SP) {
      return badByte(
        buf,
        i,
        end,
        "invalid_target",
        "the request target has a character it may not carry, or the line has two spaces (RFC 9112 §3.2)",
      );
    }
    const targetEnd = i++;
    if (buf[i] === SP)
      return fail("invalid_request_line", 400, "the request line has two spaces before the version: separate its parts with one space");
    // "HTTP/" DIGIT "." DIGIT and the end of the line.
    if (
      end - i !== 8 ||
      buf[i] !== 0x48 ||
      buf[i + 1] !== 0x54 ||
      buf[i + 2] !== 0x54 ||
      buf[i + 3] !== 0x50 ||
      buf[i + 4] !== 0x2f ||
      DIGIT[buf[i + 5]!] !== 1 ||
      buf[i + 6] !== 0x2e ||
      DIGIT[buf[i + 7]!] !== 1
    ) {
      const cr = buf.indexOf(CR, i);
      if (cr !== -1 && cr < end) return badByte(buf, cr, end, "", "");
      return fail("invalid_version", 400, "the request line must end with HTTP/1.1 or HTTP/1.0");
    }
    const major = buf[i + 5]! - 0x30;
    const minor = buf[i + 7]! - 0x30;
    if (major !== 1) return fail("unsupported_version", 505, `HTTP/${major}.${minor} is not served on an HTTP/1 connection: use HTTP/1.1`);
    if (minor > 1) return fail("invalid_version", 400, `HTTP/1.${minor} does not exist: use HTTP/1.1`);
    const problem = targetProblem(buf, targetStart, targetEnd, method);
    if (problem !== undefined) return problem;
    this.method = method;
    this.target = this.text(buf, targetStart, targetEnd);
    this.minor = minor === 0 ? 0 : 1;
    return GO;
  }

  private headerLine(buf: Buffer, start: number, end: number, trailer: boolean): LineResult {
    const first = buf[start];
    if (first === SP || first === HTAB) {
      return fail(
        "obs_fold",
        400,
        "a header line starts with whitespace (obs-fold or a folded value): send each field on one line (RFC 9112 §5.2)",
      );
    }
    let i = start;
    while (i < end && TOKEN[buf[i]!] === 1) i++;
    if (i === start || buf[i] !== 0x3a) {
      return badByte(
        buf,
        i,
        end,
        "invalid_header_token",
        "a header name must be a token directly followed by a colon, with no space before it (RFC 9112 §5.1)",
      );
    }
    const nameEnd = i++;
    while (i < end && (buf[i] === SP || buf[i] === HTAB)) i++;
    const valueStart = i;
    while (i < end && FIELD_VALUE[buf[i]!] === 1) i++;
    if (i < end)
      return badByte(buf, i, end, "invalid_header_value", "a header value has a control character (NUL, DEL or other): remove it");
    return this.field(buf, start, nameEnd, valueStart, end, trailer);
  }

  /**
   * The common case of a header line, read in one pass without looking for its LF first: a token, a colon, value
   * bytes, CRLF, all inside `data`. Returns the index after the LF, or -1 when the line is anything else (empty, cut,
   * or malformed): the general path then reads it, so every refusal comes from one place.
   */
  private fastHeaderLine(data: Buffer, at: number): number | H1ParseError {
    const n = data.length;
    let i = at;
    while (i < n && TOKEN[data[i]!] === 1) i++;
    if (i === at || data[i] !== 0x3a) return -1;
    const nameEnd = i++;
    while (i < n && (data[i] === SP || data[i] === HTAB)) i++;
    const valueStart = i;
    while (i < n && FIELD_VALUE[data[i]!] === 1) i++;
    if (data[i] !== CR || data[i + 1] !== LF) return -1;
    const length = i + 2 - at;
    const over = this.overLimit(length);
    if (over !== undefined) return over;
    this.headBytes += length;
    const result = this.field(data, at, nameEnd, valueStart, i, false);
    if (result === GO) return i + 2;
    return result === STOP ? -1 : result;
  }

  /** A header or trailer line found valid: limits, the framing and routing fields, then the raw list. */
  private field(buf: Buffer, start: number, nameEnd: number, valueStart: number, end: number, trailer: boolean): LineResult {
    let valueEnd = end;
    while (valueEnd > valueStart && (buf[valueEnd - 1] === SP || buf[valueEnd - 1] === HTAB)) valueEnd--;
    const headers = this.rawHeaders;
    if (headers.length >= this.limits.maxHeaders * 2) {
      return fail("too_many_headers", 431, `more than ${this.limits.maxHeaders} header lines: send fewer headers`);
    }
    const nameLength = nameEnd - start;
    const special =
      nameLength >= 4 && nameLength <= 17 ? this.specialHeader(buf, start, nameLength, valueStart, valueEnd, end, trailer) : GO;
    if (special !== GO) return special;
    if (trailer) return GO; // trailers are checked, then dropped: nothing forwards them
    headers.push(this.text(buf, start, nameEnd), valueStart === valueEnd ? "" : this.text(buf, valueStart, valueEnd));
    return GO;
  }

  /** The headers that frame or route the request, recognised by length then bytes. */
  private specialHeader(buf: Buffer, start: number, length: number, from: number, to: number, end: number, trailer: boolean): LineResult {
    if (length === 14 && nameIs(buf, start, "content-length")) {
      if (trailer)
        return fail("framing_in_trailers", 400, "Content-Length may not be sent in trailers: it would frame a body already read");
      if (this.contentLength !== -1) {
        return fail("duplicate_content_length", 400, "more than one Content-Length header: send exactly one (RFC 9112 §6.3)");
      }
      const length = contentLengthValue(buf, from, to);
      if (typeof length !== "number") return length;
      this.contentLength = length;
      return GO;
    }
    if (length === 17 && nameIs(buf, start, "transfer-encoding")) {
      if (trailer)
        return fail("framing_in_trailers", 400, "Transfer-Encoding may not be sent in trailers: it would frame a body already read");
      // llhttp reads `chunked<TAB>` as another coding where a reader trimming OWS reads chunked: a tab past the
      // value's start is refused rather than guessed.
      const tab = buf.indexOf(HTAB, from);
      if (tab !== -1 && tab < end) {
        return fail("invalid_transfer_encoding", 400, "a tab inside or after the Transfer-Encoding value: send Transfer-Encoding: chunked");
      }
      if (++this.transferEncodings > 1) {
        return fail(
          "duplicate_transfer_encoding",
          400,
          "more than one Transfer-Encoding header: send one, with chunked as its only coding",
        );
      }
      const codings = transferCodings(buf, from, to);
      if (typeof codings !== "number") return codings;
      this.codings = codings;
      return GO;
    }
    if (trailer) return GO;
    if (length === 4 && nameIs(buf, start, "host")) {
      if (++this.hosts > 1) return fail("duplicate_host", 400, "more than one Host header: send exactly one");
      if (!validHost(buf, from, to, false))
        return fail("invalid_host", 400, "the Host header is not a host name or address with an optional port");
    } else if (length === 10 && nameIs(buf, start, "connection")) {
      this.connection |= connectionFlags(buf, from, to);
    } else if (length === 7 && nameIs(buf, start, "upgrade")) {
      this.hasUpgrade = true;
    } else if (length === 6 && nameIs(buf, start, "expect")) {
      if (to - from === 12 && nameIs(buf, from, "100-continue")) this.expectContinue = true;
    }
    return GO;
  }

  private chunkSize(size: number | H1ParseError): LineResult {
    if (typeof size !== "number") return size;
    if (size === 0) {
      this.state = TRAILERS;
      return GO;
    }
    this.remaining = size;
    this.state = CHUNK_DATA;
    return GO;
  }

  /** The empty line after the headers: the framing is decided, the head handed over. */
  private headEnd(): LineResult {
    const minor = this.minor;
    if (minor === 1 && this.hosts === 0) return fail("missing_host", 400, "an HTTP/1.1 request must carry a Host header (RFC 9112 §3.2)");
    let body: H1Body;
    if (this.transferEncodings > 0) {
      if (minor === 0)
        return fail("transfer_encoding_http10", 400, "Transfer-Encoding is not allowed in an HTTP/1.0 request: send Content-Length");
      if (this.contentLength !== -1) {
        return fail(
          "content_length_and_transfer_encoding",
          400,
          "both Content-Length and Transfer-Encoding: send one of them (RFC 9112 §6.1, a request smuggling pattern)",
        );
      }
      if (this.codings !== 1)
        return fail(
          "unsupported_transfer_coding",
          501,
          "only Transfer-Encoding: chunked is supported: send the body chunked or with Content-Length",
        );
      body = BODY_CHUNKED;
    } else if (this.contentLength !== -1) {
      body = { kind: "length", length: this.contentLength };
    } else {
      body = BODY_NONE;
    }
    const connect = this.method === "CONNECT";
    const upgrade = connect || ((this.connection & CONNECTION_UPGRADE) !== 0 && this.hasUpgrade);
    const hasBody = body.kind === "chunked" || (body.kind === "length" && body.length > 0);
    // What follows an upgrade head is the new protocol to one reader and a body to another: neither is guessed.
    if (upgrade && hasBody) {
      return fail(
        "upgrade_with_body",
        400,
        `${connect ? "a CONNECT" : "an Upgrade"} request with a body: send the upgrade request without one`,
      );
    }
    const keepAlive = (this.connection & CONNECTION_CLOSE) === 0 && (minor === 1 || (this.connection & CONNECTION_KEEP_ALIVE) !== 0);
    this.closed = !keepAlive;
    this.handler.onHead({
      method: this.method,
      target: this.target,
      httpMinor: minor,
      rawHeaders: this.rawHeaders,
      body,
      keepAlive,
      upgrade,
      // RFC 9110 §10.1.1: a 100-continue expectation in an HTTP/1.0 request is ignored (node ignores it too).
      expectContinue: this.expectContinue && minor === 1,
    });
    if (upgrade) {
      this.state = UPGRADED;
      return STOP;
    }
    if (body.kind === "chunked") {
      this.state = CHUNK_SIZE;
      return GO;
    }
    if (body.kind === "length" && body.length > 0) {
      this.remaining = body.length;
      this.state = BODY_LENGTH;
      return GO;
    }
    this.endMessage(0);
    return STOP;
  }
}
