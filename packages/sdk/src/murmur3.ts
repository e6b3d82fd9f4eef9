/**
 * MurmurHash3 x86_32 over the UTF-8 bytes of a string, streamed byte by byte so hashing `${salt}:${value}`
 * needs neither a concatenated string nor an encoded buffer: evaluation stays allocation-free.
 * Lone surrogates encode as U+FFFD, as TextEncoder does, so the result equals murmur3 of TextEncoder's bytes.
 */
const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

// Streaming state; hashing is synchronous and never re-entered, so module-level state is safe.
let h = 0;
let block = 0;
let blockBytes = 0;
let length = 0;

function pushByte(byte: number): void {
  block |= byte << (blockBytes * 8);
  blockBytes++;
  length++;
  if (blockBytes === 4) {
    let k = Math.imul(block, C1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, C2);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
    block = 0;
    blockBytes = 0;
  }
}

function pushString(text: string): void {
  for (let i = 0; i < text.length; i++) {
    let code = text.charCodeAt(i);
    if (code < 0x80) {
      pushByte(code);
    } else if (code < 0x800) {
      pushByte(0xc0 | (code >> 6));
      pushByte(0x80 | (code & 0x3f));
    } else {
      if (code >= 0xd800 && code <= 0xdfff) {
        const next = i + 1 < text.length ? text.charCodeAt(i + 1) : 0;
        if (code <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
          code = 0x10000 + ((code - 0xd800) << 10) + (next - 0xdc00);
          i++;
          pushByte(0xf0 | (code >> 18));
          pushByte(0x80 | ((code >> 12) & 0x3f));
          pushByte(0x80 | ((code >> 6) & 0x3f));
          pushByte(0x80 | (code & 0x3f));
          continue;
        }
        code = 0xfffd;
      }
      pushByte(0xe0 | (code >> 12));
      pushByte(0x80 | ((code >> 6) & 0x3f));
      pushByte(0x80 | (code & 0x3f));
    }
  }
}

function start(seed: number): void {
  h = seed | 0;
  block = 0;
  blockBytes = 0;
  length = 0;
}

/** Signed int32 (see bucketSalted); murmur3() makes it unsigned. */
function finish(): number {
  if (blockBytes > 0) {
    let k = Math.imul(block, C1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, C2);
    h ^= k;
  }
  h ^= length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h;
}

/** murmur3 x86_32 of the UTF-8 encoding of `text`; unsigned 32-bit result. */
export function murmur3(text: string, seed: number): number {
  start(seed);
  pushString(text);
  return finish() >>> 0;
}

/** murmur3 x86_32 of the UTF-8 encoding of `${salt}:${value}` without building that string. */
export function murmur3Salted(salt: string, value: string, seed: number): number {
  return (saltedAscii(salt, value, seed) ?? saltedStream(salt, value, seed)) >>> 0;
}

/**
 * bucketOf(murmur3Salted(...)) for the evaluator's hot path. The hash travels as a signed int32, which V8 keeps
 * unboxed; an unsigned one above 2^31 would be a heap number, i.e. an allocation per evaluation.
 */
export function bucketSalted(salt: string, value: string, seed: number): number {
  const h = saltedAscii(salt, value, seed) ?? saltedStream(salt, value, seed);
  return Math.floor(((h >>> 0) * 100000) / 4294967296);
}

const charAt = (salt: string, value: string, j: number): number =>
  j < salt.length ? salt.charCodeAt(j) : j === salt.length ? 0x3a : value.charCodeAt(j - salt.length - 1);

/**
 * The common case, ids and salts in ASCII (one byte per char): whole 4-byte blocks in locals, several times
 * faster than the byte stream. Returns undefined at the first non-ASCII char so the stream takes over.
 */
function saltedAscii(salt: string, value: string, seed: number): number | undefined {
  const len = salt.length + 1 + value.length;
  let h1 = seed | 0;
  const blocks = len & ~3;
  let j = 0;
  for (; j < blocks; j += 4) {
    const c0 = charAt(salt, value, j);
    const c1 = charAt(salt, value, j + 1);
    const c2 = charAt(salt, value, j + 2);
    const c3 = charAt(salt, value, j + 3);
    if ((c0 | c1 | c2 | c3) > 0x7f) return undefined;
    let k = c0 | (c1 << 8) | (c2 << 16) | (c3 << 24);
    k = Math.imul(k, C1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, C2);
    h1 ^= k;
    h1 = (h1 << 13) | (h1 >>> 19);
    h1 = (Math.imul(h1, 5) + 0xe6546b64) | 0;
  }
  let k = 0;
  for (let shift = 0; j < len; j++, shift += 8) {
    const c = charAt(salt, value, j);
    if (c > 0x7f) return undefined;
    k |= c << shift;
  }
  if (len & 3) {
    k = Math.imul(k, C1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, C2);
    h1 ^= k;
  }
  h1 ^= len;
  h1 ^= h1 >>> 16;
  h1 = Math.imul(h1, 0x85ebca6b);
  h1 ^= h1 >>> 13;
  h1 = Math.imul(h1, 0xc2b2ae35);
  h1 ^= h1 >>> 16;
  return h1;
}

function saltedStream(salt: string, value: string, seed: number): number {
  start(seed);
  pushString(salt);
  pushByte(0x3a); // ":"
  pushString(value);
  return finish();
}

/** Bucket in 0..99999 by multiply-shift (no modulo bias): floor(hash * 100000 / 2^32). Exact in doubles. */
export function bucketOf(hash: number): number {
  return Math.floor((hash * 100000) / 4294967296);
}
