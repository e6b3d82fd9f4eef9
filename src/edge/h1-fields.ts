import { DIGIT, HEX_VALUE, HOST_LITERAL, HOST_NAME, ALPHA, LOWER, QDTEXT, TOKEN, CR, LF, SP, HTAB } from "./h1-chars.ts";
import type { H1ParseError } from "./h1-parser.ts";

/**
 * Field and line grammar for the edge's HTTP/1.1 request parser (h1-parser.ts): pure functions over a buffer
 * range, each answering a value or the H1ParseError to refuse the request with.
 */

/** 15 decimal digits: every length below 10^15 is exact in a double; no body that large is real. */
const MAX_LENGTH_DIGITS = 15;
/** Chunk sizes are held exact in a double too (llhttp allows up to 2^64, but no chunk is a petabyte). */
const MAX_CHUNK_SIZE = 2 ** 50;

export function fail(code: string, status: H1ParseError["status"], reason: string): H1ParseError {
  return { code, status, reason };
}

/** The error for the byte at `at` of a line whose content ends at `end` (its CR): a stray CR or LF, or `code`. */
export function badByte(buf: Buffer, at: number, end: number, code: string, reason: string): H1ParseError {
  if (at < end && buf[at] === CR) return fail("lone_cr", 400, "a CR not followed by LF: every line must end with CRLF (RFC 9112 §2.2)");
  if (at <= end && buf[at] === LF) return fail("lone_lf", 400, "a line ends with a bare LF: every line must end with CRLF (RFC 9112 §2.2)");
  return fail(code, 400, reason);
}

/** Content-Length's value: one decimal number (no sign, list, space or hex), at most 15 digits. */
export function contentLengthValue(buf: Buffer, from: number, to: number): number | H1ParseError {
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
  return length;
}

/** Transfer-Encoding's codings: 1 when chunked is the only one, 2 when another coding is there (501), or the error. */
export function transferCodings(buf: Buffer, from: number, to: number): 1 | 2 | H1ParseError {
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
  return chunkedLast && !other ? 1 : 2;
}

export const CONNECTION_CLOSE = 1;
export const CONNECTION_KEEP_ALIVE = 2;
export const CONNECTION_UPGRADE = 4;

/** Connection: a list of tokens; close, keep-alive and upgrade matter here (case-insensitive), as bit flags. */
export function connectionFlags(buf: Buffer, from: number, to: number): number {
  let flags = 0;
  let i = from;
  while (i < to) {
    while (i < to && (buf[i] === SP || buf[i] === HTAB || buf[i] === 0x2c)) i++;
    const tokenStart = i;
    while (i < to && buf[i] !== 0x2c) i++;
    let tokenEnd = i;
    while (tokenEnd > tokenStart && (buf[tokenEnd - 1] === SP || buf[tokenEnd - 1] === HTAB)) tokenEnd--;
    const length = tokenEnd - tokenStart;
    if (length === 5 && nameIs(buf, tokenStart, "close")) flags |= CONNECTION_CLOSE;
    else if (length === 10 && nameIs(buf, tokenStart, "keep-alive")) flags |= CONNECTION_KEEP_ALIVE;
    else if (length === 7 && nameIs(buf, tokenStart, "upgrade")) flags |= CONNECTION_UPGRADE;
  }
  return flags;
}

/** A chunk-size line (RFC 9112 §7.1): hex digits, then `;name`, `;name=token` or `;name="quoted"` (no whitespace). The size, or the error. */
export function chunkSizeLine(buf: Buffer, start: number, end: number): number | H1ParseError {
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
          if (b === 0x5c) {
            // quoted-pair: a backslash and one HTAB, SP, visible or obs-text byte.
            i++;
            const q = buf[i]!;
            if (i >= end || (QDTEXT[q] !== 1 && q !== 0x22 && q !== 0x5c)) {
              return badByte(buf, i, end, "invalid_chunk_extension", "a quoted chunk extension value has a bad escape");
            }
          } else if (QDTEXT[b] !== 1)
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
  return size;
}
/** The common methods as constant strings (no allocation); undefined for the others. */
export function methodName(buf: Buffer, start: number, end: number): string | undefined {
  const length = end - start;
  if (length === 3 && buf[start] === 0x47 && buf[start + 1] === 0x45 && buf[start + 2] === 0x54) return "GET";
  if (length === 4 && buf[start] === 0x50 && buf[start + 1] === 0x4f && buf[start + 2] === 0x53 && buf[start + 3] === 0x54) return "POST";
  return undefined;
}

/** The bytes at `at` spell `lower` case-insensitively (`lower` is lower-case ASCII). */
export function nameIs(buf: Buffer, at: number, lower: string): boolean {
  for (let k = 0; k < lower.length; k++) if (LOWER[buf[at + k]!] !== lower.charCodeAt(k)) return false;
  return true;
}

/**
 * Host (and CONNECT's authority): an IP-literal in brackets or a reg-name, then an optional ":port" of up to five
 * digits; the same rule framingProblem applied, so no path, userinfo or second port reaches routing.
 */
export function validHost(buf: Buffer, from: number, to: number, portRequired: boolean): boolean {
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
export function targetProblem(buf: Buffer, start: number, end: number, method: string): H1ParseError | undefined {
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
