import { METHODS } from "node:http";
import { ALPHA, DIGIT, FIELD_VALUE, HEX_VALUE, HOST_LITERAL, HOST_NAME, LOWER, QDTEXT, TARGET, TOKEN } from "./h1-chars.ts";

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

const CR = 13;
const LF = 10;
const SP = 32;
const HTAB = 9;

const KNOWN_METHODS: ReadonlySet<string> = new Set(METHODS);
/** Node refuses more than 16 KiB of chunk extensions (CVE-2024-22019) with a 413; one chunk line may not exceed it here. */
const MAX_CHUNK_LINE = 16 * 1024;
/** 15 decimal digits: every length below 10^15 is exact in a double; no body that large is real. */
const MAX_LENGTH_DIGITS = 15;
/** Chunk sizes are held exact in a double too (llhttp allows up to 2^64, but no chunk is a petabyte). */
const MAX_CHUNK_SIZE = 2 ** 50;

const BODY_NONE: H1Body = Object.freeze({ kind: "none" });
const BODY_CHUNKED: H1Body = Object.freeze({ kind: "chunked" });

/** The line handlers' answer: an error, STOP (message end or upgrade head: return to the caller) or GO. */
const GO = 0;
const STOP = 1;
type LineResult = H1ParseError | typeof GO | typeof STOP;

function fail(code: string, status: H1ParseError["status"], reason: string): H1ParseError {
  return { code, status, reason };
}

/** The error for the byte at `at` of a line whose content ends at `end` (its CR): a stray CR or LF, or `code`. */
function badByte(buf: Buffer, at: number, end: number, code: string, reason: string): H1ParseError {
  if (at < end && buf[at] === CR) return fail("lone_cr", 400, "a CR not followed by LF: every line must end with CRLF (RFC 9112 §2.2)");
  if (at <= end && buf[at] === LF) return fail("lone_lf", 400, "a line ends with a bare LF: every line must end with CRLF (RFC 9112 §2.2)");
  return fail(code, 400, reason);
}

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
  private connClose = false;
  private connKeepAlive = false;
  private connUpgrade = false;
  private hasUpgrade = false;
  private expectContinue = false;
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
    this.newMessage();
  }

  finish(): H1ParseError | undefined {
    // Only empty lines since the last message (or nothing): the connection ended between requests.
    if (this.state === DEAD || this.state === UPGRADED || (this.state === START && this.pendingLen === 0)) return undefined;
    return this.die(fail("incomplete_message", 400, "the connection ended inside a request: send the whole head and body before closing"));
  }

  execute(data: Buffer): number | H1ParseError {
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
    this.connClose = false;
    this.connKeepAlive = false;
    this.connUpgrade = false;
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
        return this.chunkSize(buf, start, end);
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
    const method = methodName(buf, start, i);
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
    this.target = buf.toString("latin1", targetStart, targetEnd);
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
    let valueEnd = valueStart;
    for (; i < end; i++) {
      const b = buf[i]!;
      if (FIELD_VALUE[b] !== 1)
        return badByte(buf, i, end, "invalid_header_value", "a header value has a control character (NUL, DEL or other): remove it");
      if (b !== SP && b !== HTAB) valueEnd = i + 1;
    }
    const headers = this.rawHeaders;
    if (headers.length >= this.limits.maxHeaders * 2) {
      return fail("too_many_headers", 431, `more than ${this.limits.maxHeaders} header lines: send fewer headers`);
    }
    const nameLength = nameEnd - start;
    const special =
      nameLength >= 4 && nameLength <= 17 ? this.specialHeader(buf, start, nameLength, valueStart, valueEnd, end, trailer) : GO;
    if (special !== GO) return special;
    if (trailer) return GO; // trailers are checked, then dropped: nothing forwards them
    headers.push(buf.toString("latin1", start, nameEnd), valueStart === valueEnd ? "" : buf.toString("latin1", valueStart, valueEnd));
    return GO;
  }

  /** The headers that frame or route the request, recognised by length then bytes. */
  private specialHeader(buf: Buffer, start: number, length: number, from: number, to: number, end: number, trailer: boolean): LineResult {
    if (length === 14 && nameIs(buf, start, "content-length")) {
      if (trailer)
        return fail("framing_in_trailers", 400, "Content-Length may not be sent in trailers: it would frame a body already read");
      return this.contentLengthHeader(buf, from, to);
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
      return this.transferEncodingHeader(buf, from, to);
    }
    if (trailer) return GO;
    if (length === 4 && nameIs(buf, start, "host")) {
      if (++this.hosts > 1) return fail("duplicate_host", 400, "more than one Host header: send exactly one");
      if (!validHost(buf, from, to, false))
        return fail("invalid_host", 400, "the Host header is not a host name or address with an optional port");
    } else if (length === 10 && nameIs(buf, start, "connection")) {
      this.connectionTokens(buf, from, to);
    } else if (length === 7 && nameIs(buf, start, "upgrade")) {
      this.hasUpgrade = true;
    } else if (length === 6 && nameIs(buf, start, "expect")) {
      if (to - from === 12 && nameIs(buf, from, "100-continue")) this.expectContinue = true;
    }
    return GO;
  }

  private contentLengthHeader(buf: Buffer, from: number, to: number): LineResult {
    if (this.contentLength !== -1) {
      return fail("duplicate_content_length", 400, "more than one Content-Length header: send exactly one (RFC 9112 §6.3)");
    }
    if (from === to || to - from > MAX_LENGTH_DIGITS) {
      return fail("invalid_content_length", 400, "Content-Length must be one decimal number of at most 15 digits");
    }
    let length = 0;
    for (let i = from; i < to; i++) {
      const b = buf[i]!;
      if (DIGIT[b] !== 1)
        return fail("invalid_content_length", 400, "Content-Length must be one decimal number, with no sign, list or space");
      length = length * 10 + (b - 0x30);
    }
    this.contentLength = length;
    return GO;
  }

  private transferEncodingHeader(buf: Buffer, from: number, to: number): LineResult {
    if (++this.transferEncodings > 1) {
      return fail("duplicate_transfer_encoding", 400, "more than one Transfer-Encoding header: send one, with chunked as its only coding");
    }
    // A comma-separated list of codings (empty elements ignored, RFC 9110 §5.6.1): chunked must be the last
    // (RFC 9112 §6.3) and, here, the only one.
    let i = from;
    let count = 0;
    let chunkedLast = false;
    let other = false;
    for (;;) {
      while (i < to && (buf[i] === SP || buf[i] === HTAB)) i++;
      const codingStart = i;
      while (i < to && TOKEN[buf[i]!] === 1) i++;
      const codingEnd = i;
      while (i < to && (buf[i] === SP || buf[i] === HTAB)) i++;
      if (i < to && buf[i] !== 0x2c) {
        return fail("invalid_transfer_encoding", 400, "Transfer-Encoding must be a list of coding names: send Transfer-Encoding: chunked");
      }
      // After chunked, anything (an empty element too: llhttp reads `chunked,` as not chunked) leaves the body unframed.
      if (chunkedLast || codingEnd > codingStart) {
        if (chunkedLast) {
          return fail("chunked_not_last", 400, "chunked is not the last transfer coding, so the body has no framing (RFC 9112 §6.3)");
        }
        chunkedLast = codingEnd - codingStart === 7 && nameIs(buf, codingStart, "chunked");
        if (!chunkedLast) other = true;
        count++;
      }
      if (i >= to) break;
      i++;
    }
    if (count === 0) {
      return fail("invalid_transfer_encoding", 400, "Transfer-Encoding is empty: send Transfer-Encoding: chunked");
    }
    // 1: chunked alone; 2: another coding, before chunked or instead of it (501: the edge would drop it).
    this.codings = chunkedLast && !other ? 1 : 2;
    return GO;
  }

  /** Connection: a list of tokens; close, keep-alive and upgrade matter here (case-insensitive). */
  private connectionTokens(buf: Buffer, from: number, to: number): void {
    let i = from;
    while (i < to) {
      while (i < to && (buf[i] === SP || buf[i] === HTAB || buf[i] === 0x2c)) i++;
      const tokenStart = i;
      while (i < to && buf[i] !== 0x2c) i++;
      let tokenEnd = i;
      while (tokenEnd > tokenStart && (buf[tokenEnd - 1] === SP || buf[tokenEnd - 1] === HTAB)) tokenEnd--;
      const length = tokenEnd - tokenStart;
      if (length === 5 && nameIs(buf, tokenStart, "close")) this.connClose = true;
      else if (length === 10 && nameIs(buf, tokenStart, "keep-alive")) this.connKeepAlive = true;
      else if (length === 7 && nameIs(buf, tokenStart, "upgrade")) this.connUpgrade = true;
    }
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
    const upgrade = connect || (this.connUpgrade && this.hasUpgrade);
    const hasBody = body.kind === "chunked" || (body.kind === "length" && body.length > 0);
    // What follows an upgrade head is the new protocol to one reader and a body to another: neither is guessed.
    if (upgrade && hasBody) {
      return fail(
        "upgrade_with_body",
        400,
        `${connect ? "a CONNECT" : "an Upgrade"} request with a body: send the upgrade request without one`,
      );
    }
    const keepAlive = !this.connClose && (minor === 1 || this.connKeepAlive);
    this.closed = !keepAlive;
    this.handler.onHead({
      method: this.method,
      target: this.target,
      httpMinor: minor,
      rawHeaders: this.rawHeaders,
      body,
      keepAlive,
      upgrade,
      expectContinue: this.expectContinue,
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

  /** chunk-size [ chunk-ext ]: hex digits, then `;name`, `;name=token` or `;name="quoted"` (no whitespace). */
  private chunkSize(buf: Buffer, start: number, end: number): LineResult {
    let i = start;
    let size = 0;
    while (i < end) {
      const v = HEX_VALUE[buf[i]!]!;
      if (v === 255) break;
      size = size * 16 + v;
      if (size > MAX_CHUNK_SIZE) return fail("invalid_chunk_size", 400, "a chunk size is too large: send chunks under 1 PiB");
      i++;
    }
    if (i === start) return badByte(buf, i, end, "invalid_chunk_size", "a chunk must start with its size in hexadecimal (RFC 9112 §7.1)");
    while (i < end) {
      if (buf[i] !== 0x3b) return badByte(buf, i, end, "invalid_chunk_size", "a chunk size has a character after its hexadecimal digits");
      const nameStart = ++i;
      while (i < end && TOKEN[buf[i]!] === 1) i++;
      if (i === nameStart) return badByte(buf, i, end, "invalid_chunk_extension", "a chunk extension must be ;name or ;name=value");
      if (i < end && buf[i] === 0x3d) {
        i++;
        if (buf[i] === 0x22) {
          i++;
          for (;;) {
            if (i >= end) return fail("invalid_chunk_extension", 400, "a quoted chunk extension value is not closed");
            const b = buf[i]!;
            if (b === 0x22) break;
            if (b === 0x5c) i++;
            else if (QDTEXT[b] !== 1)
              return badByte(buf, i, end, "invalid_chunk_extension", "a quoted chunk extension value has a control character");
            i++;
          }
          i++;
        } else {
          const valueStart = i;
          while (i < end && TOKEN[buf[i]!] === 1) i++;
          if (i === valueStart)
            return badByte(buf, i, end, "invalid_chunk_extension", "a chunk extension value must be a token or a quoted string");
        }
      }
    }
    if (size === 0) {
      this.state = TRAILERS;
      return GO;
    }
    this.remaining = size;
    this.state = CHUNK_DATA;
    return GO;
  }
}

/** The method as a string: the common ones without allocating. */
function methodName(buf: Buffer, start: number, end: number): string {
  const length = end - start;
  if (length === 3 && buf[start] === 0x47 && buf[start + 1] === 0x45 && buf[start + 2] === 0x54) return "GET";
  if (length === 4 && buf[start] === 0x50 && buf[start + 1] === 0x4f && buf[start + 2] === 0x53 && buf[start + 3] === 0x54) return "POST";
  return buf.toString("latin1", start, end);
}

/** The bytes at `at` spell `lower` case-insensitively (`lower` is lower-case ASCII). */
function nameIs(buf: Buffer, at: number, lower: string): boolean {
  for (let k = 0; k < lower.length; k++) if (LOWER[buf[at + k]!] !== lower.charCodeAt(k)) return false;
  return true;
}

/**
 * Host (and CONNECT's authority): an IP-literal in brackets or a reg-name, then an optional ":port" of up to five
 * digits; the same rule framingProblem applied, so no path, userinfo or second port reaches routing.
 */
function validHost(buf: Buffer, from: number, to: number, portRequired: boolean): boolean {
  let i = from;
  if (buf[i] === 0x5b && i < to) {
    i++;
    const literalStart = i;
    while (i < to && HOST_LITERAL[buf[i]!] === 1) i++;
    if (i === literalStart || i >= to || buf[i] !== 0x5d) return false;
    i++;
  } else {
    while (i < to && HOST_NAME[buf[i]!] === 1) i++;
  }
  if (i === to) return !portRequired;
  if (buf[i] !== 0x3a) return false;
  i++;
  const portStart = i;
  while (i < to && DIGIT[buf[i]!] === 1) i++;
  return i === to && i - portStart <= 5 && (!portRequired || i > portStart);
}

/**
 * The request-target's form (RFC 9112 §3.2): origin-form ("/..."), absolute-form ("scheme://authority..."),
 * authority-form for CONNECT only, asterisk-form for OPTIONS only.
 */
function targetProblem(buf: Buffer, start: number, end: number, method: string): H1ParseError | undefined {
  const first = buf[start];
  if (method === "CONNECT") {
    if (validHost(buf, start, end, true)) return undefined;
    return fail("invalid_target", 400, "a CONNECT target must be host:port (RFC 9112 §3.2.3)");
  }
  if (first === 0x2f) return undefined;
  if (first === 0x2a && end - start === 1) {
    if (method === "OPTIONS") return undefined;
    return fail("invalid_target", 400, "the target * is only for OPTIONS (RFC 9112 §3.2.4): send a path starting with /");
  }
  // absolute-form: letters, "://", an authority (no userinfo), then a path, a query or nothing.
  let i = start;
  while (i < end && ALPHA[buf[i]!] === 1) i++;
  if (i > start && buf[i] === 0x3a && buf[i + 1] === 0x2f && buf[i + 2] === 0x2f) {
    i += 3;
    let authorityEnd = i;
    while (authorityEnd < end && buf[authorityEnd] !== 0x2f && buf[authorityEnd] !== 0x3f) authorityEnd++;
    if (authorityEnd > i && validHost(buf, i, authorityEnd, false)) return undefined;
  }
  return fail("invalid_target", 400, "the request target must be a path starting with /, an absolute http URL, or * for OPTIONS");
}
