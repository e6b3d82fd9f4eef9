/**
 * 256-entry byte classes for the edge's HTTP/1.1 request parser (h1-parser.ts): a table lookup per byte is
 * what keeps the head loop free of regular expressions and string building.
 */

export const CR = 13;
export const LF = 10;
export const SP = 32;
export const HTAB = 9;

function table(accepts: (byte: number) => boolean): Uint8Array {
  const t = new Uint8Array(256);
  for (let b = 0; b < 256; b++) t[b] = accepts(b) ? 1 : 0;
  return t;
}

function isAlpha(b: number): boolean {
  return (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a);
}

function isDigit(b: number): boolean {
  return b >= 0x30 && b <= 0x39;
}

function isHex(b: number): boolean {
  return isDigit(b) || (b >= 0x41 && b <= 0x46) || (b >= 0x61 && b <= 0x66);
}

/** tchar (RFC 9110 §5.6.2): methods, header names, transfer codings, chunk extension names. */
export const TOKEN = table((b) => isAlpha(b) || isDigit(b) || "!#$%&'*+-.^_`|~".includes(String.fromCharCode(b)));

/**
 * Bytes of a request-target: visible ASCII only, as llhttp in node has it (raw UTF-8 must be percent-encoded).
 * No control character, space, tab or DEL: each would end the target for some other reader.
 */
export const TARGET = table((b) => b >= 0x21 && b <= 0x7e);

/** field-vchar, SP and HTAB (RFC 9110 §5.5), obs-text included; no CR, LF, NUL, other controls or DEL. */
export const FIELD_VALUE = table((b) => b === 0x09 || (b >= 0x20 && b <= 0x7e) || b >= 0x80);

/** Hexadecimal digit value, or 255. */
export const HEX_VALUE = (() => {
  const t = new Uint8Array(256).fill(255);
  for (let b = 0; b < 256; b++) if (isHex(b)) t[b] = Number.parseInt(String.fromCharCode(b), 16);
  return t;
})();

/** reg-name characters a Host may carry (unreserved, sub-delims and pct-encoding's "%"), as framingProblem allows. */
export const HOST_NAME = table((b) => isAlpha(b) || isDigit(b) || "._~!$&'()*+,;=%-".includes(String.fromCharCode(b)));

/** Characters inside an IP-literal's brackets, as framingProblem allows (IPv6 and IPv4-in-IPv6). */
export const HOST_LITERAL = table((b) => isHex(b) || b === 0x3a || b === 0x2e);

/** quoted-string content (qdtext, RFC 9110 §5.6.4) in a chunk extension value. */
export const QDTEXT = table(
  (b) => b === 0x09 || b === 0x20 || b === 0x21 || (b >= 0x23 && b <= 0x5b) || (b >= 0x5d && b <= 0x7e) || b >= 0x80,
);

/** The byte lower-cased when it is an ASCII letter (header names compared case-insensitively without a string). */
export const LOWER = (() => {
  const t = new Uint8Array(256);
  for (let b = 0; b < 256; b++) t[b] = b >= 0x41 && b <= 0x5a ? b + 0x20 : b;
  return t;
})();

export const ALPHA = table(isAlpha);
export const DIGIT = table(isDigit);
