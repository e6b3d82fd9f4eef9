import type { IncomingHttpHeaders } from "node:http";
import type { CompiledApp, CompiledRelease } from "./compiled-table.ts";

/** The cookie the edge sets when the manifest names no sticky key: one random id per browser. */
export const STICKY_COOKIE = "rampart_sticky";
const STICKY_MAX_AGE_S = 365 * 24 * 3600;
const STICKY_VALUE = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * The position of a sticky key in [0, 1): FNV-1a over the key, finished with murmur3's fmix32 so nearby
 * keys spread, reduced by multiply-shift (no modulo bias).
 */
export function stickyPosition(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 0x1_0000_0000;
}

/**
 * The release a key falls on. Releases are laid out newest first over [0, 1) by weight, so the canary owns
 * [0, p): when its share grows from 5 % to 25 %, everyone who had it keeps it and only new users move.
 */
export function pickStickyRelease(app: CompiledApp, position: number): CompiledRelease | undefined {
  const releases = app.newestFirst;
  const target = position * app.totalWeight;
  let upTo = 0;
  for (let i = 0; i < releases.length; i++) {
    const release = releases[i] as CompiledRelease;
    upTo += release.weight;
    if (target < upTo) return release;
  }
  return releases[releases.length - 1];
}

/** The value of cookie `name` in a Cookie header, without allocating for the others. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  let at = 0;
  while (at < header.length) {
    while (header.charCodeAt(at) === 32 || header.charCodeAt(at) === 59) at++;
    const end = header.indexOf(";", at);
    const stop = end === -1 ? header.length : end;
    if (header.startsWith(name, at) && header.charCodeAt(at + name.length) === 61) return header.slice(at + name.length + 1, stop).trim();
    at = stop + 1;
  }
  return undefined;
}

/** A valid edge-set sticky id from the request, or undefined (then the edge makes one and sets it). */
export function edgeStickyId(cookieHeader: string | undefined): string | undefined {
  const value = readCookie(cookieHeader, STICKY_COOKIE);
  return value !== undefined && STICKY_VALUE.test(value) ? value : undefined;
}

export function newStickyId(random: () => number = Math.random): string {
  let id = "";
  for (let i = 0; i < 4; i++) id += ((random() * 0x1_0000_0000) >>> 0).toString(36);
  return id;
}

export function stickyCookieHeader(id: string, secure: boolean): string {
  return `${STICKY_COOKIE}=${id}; Path=/; Max-Age=${STICKY_MAX_AGE_S}; HttpOnly; SameSite=Lax${secure ? "; Secure" : ""}`;
}

/**
 * The client's sticky key: the manifest's cookie or header (`sticky:`), else the edge's own cookie when valid;
 * undefined when the request carries neither (the split then makes one, failed-users counts nobody).
 */
export function stickyKeyOf(
  sticky: CompiledApp["sticky"],
  headers: IncomingHttpHeaders,
  cookieHeader: string | undefined,
): string | undefined {
  if (sticky !== null) {
    const raw = sticky.kind === "cookie" ? readCookie(cookieHeader, sticky.name) : headers[sticky.name.toLowerCase()];
    const value = Array.isArray(raw) ? raw[0] : raw;
    if (value !== undefined && value !== "") return value;
  }
  return edgeStickyId(cookieHeader);
}
