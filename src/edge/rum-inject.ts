import type { IncomingHttpHeaders } from "node:http";

/** The edge's own paths in an environment where an app has `rum: true` (rum-beacon.ts answers them). */
export const RUM_SCRIPT_PATH = "/_rampart/rum.js";
export const RUM_BEACON_PATH = "/_rampart/rum";

/** Past this many bytes without a `<head>` or `<body>` tag, the tag goes at the end of the page instead. */
const SEARCH_LIMIT = 16 * 1024;
const HEAD_OR_BODY = /<(head|body)(?=[\s>/])/i;

/**
 * The tag the edge adds to an HTML page: an external script (so a Content-Security-Policy allowing 'self' allows
 * it; an inline one would need a nonce) with the signed token of the release that served the page.
 */
export function rumTag(token: string): string {
  return `<script src="${RUM_SCRIPT_PATH}" data-rampart-rum="${token}" async></script>`;
}

/**
 * Whether a response gets the tag: a 200 HTML page with a body, not compressed (the edge does not decompress and
 * recompress pages: an app that compresses its own HTML gets no RUM; docs/rum.md). Anything else passes untouched.
 */
export function injectable(method: string, status: number, contentType: string | undefined, contentEncoding: string | undefined): boolean {
  if (status !== 200 || method === "HEAD") return false;
  if (contentType === undefined || !/^\s*text\/html\s*(;|$)/i.test(contentType)) return false;
  return contentEncoding === undefined || contentEncoding.trim() === "" || contentEncoding.trim().toLowerCase() === "identity";
}

/**
 * For the edge's own client (flat [lower-case name, value, …]): true when the page gets the tag, in which case the
 * head is rewritten in place: Content-Length goes (the body grows; Node frames it chunked, or by closing for
 * HTTP/1.0) and a strong ETag becomes weak (the bytes differ from the app's, as nginx does when it changes a body).
 */
export function prepareFlat(method: string, status: number, headers: string[]): boolean {
  let type: string | undefined;
  let encoding: string | undefined;
  for (let i = 0; i < headers.length; i += 2) {
    if (headers[i] === "content-type") type ??= headers[i + 1];
    else if (headers[i] === "content-encoding") encoding = `${encoding ?? ""}${headers[i + 1] ?? ""}`;
  }
  if (!injectable(method, status, type, encoding)) return false;
  let w = 0;
  for (let r = 0; r < headers.length; r += 2) {
    const name = headers[r] as string;
    if (name === "content-length") continue;
    headers[w++] = name;
    headers[w++] = name === "etag" ? weakEtag(headers[r + 1] as string) : (headers[r + 1] as string);
  }
  headers.length = w;
  return true;
}

/** The same for undici's header object: a rewritten copy when the page gets the tag, else undefined. */
export function prepareObject(method: string, status: number, headers: IncomingHttpHeaders): IncomingHttpHeaders | undefined {
  const type = headers["content-type"];
  const encoding = headers["content-encoding"];
  if (!injectable(method, status, type, encoding)) return undefined;
  const out: IncomingHttpHeaders = { ...headers };
  delete out["content-length"];
  if (typeof out.etag === "string") out.etag = weakEtag(out.etag);
  return out;
}

function weakEtag(etag: string): string {
  return etag.startsWith("W/") ? etag : `W/${etag}`;
}

/**
 * Puts the tag into a streamed page: right after `<head …>` (or before `<body`), looked for in the first 16 KiB,
 * which are held back until found; a page without either gets it at its end, where browsers still run it. Only
 * those first bytes are ever buffered: the rest of the page streams through unchanged.
 */
export class RumInjector {
  private readonly tag: Buffer;
  private pending: Buffer | undefined = undefined;
  private done = false;
  /** Set when no head was found in time: the tag follows the page's last byte. */
  private tagAtEnd = false;

  constructor(tag: string) {
    this.tag = Buffer.from(tag);
  }

  /** The bytes to send now for this chunk of the page (empty while the head is still being looked for). */
  push(chunk: Buffer): Buffer {
    if (this.done) return chunk;
    const pending = this.pending === undefined ? chunk : Buffer.concat([this.pending, chunk]);
    const text = pending.toString("latin1");
    const match = HEAD_OR_BODY.exec(text);
    if (match !== null) {
      const isHead = (match[1] as string).toLowerCase() === "head";
      const close = isHead ? text.indexOf(">", match.index) : match.index;
      if (close >= 0) {
        this.done = true;
        this.pending = undefined;
        const at = isHead ? close + 1 : close;
        return Buffer.concat([pending.subarray(0, at), this.tag, pending.subarray(at)]);
      }
    }
    if (pending.length > SEARCH_LIMIT) {
      // No head in sight: the page streams on, and the tag follows its last byte (end()).
      this.done = true;
      this.pending = undefined;
      this.tagAtEnd = true;
      return pending;
    }
    this.pending = pending;
    return EMPTY;
  }

  /** What is left to send when the page ends. */
  end(): Buffer {
    if (this.done && !this.tagAtEnd) return EMPTY;
    const rest = this.pending ?? EMPTY;
    this.pending = undefined;
    this.done = true;
    return Buffer.concat([rest, this.tag]);
  }
}

const EMPTY = Buffer.alloc(0);
