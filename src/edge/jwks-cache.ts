import { createPublicKey, type JsonWebKey } from "node:crypto";
import { readFile } from "node:fs/promises";
import type { JwtAlg, KeySet, VerificationKey } from "./jwt-verify.ts";

/**
 * The signing keys of one JWKS (a file or an https URL), per edge worker. Loaded when a table names it,
 * kept while tables keep naming it, reloaded when a token names an unknown `kid` (a key rotation) — at most
 * once per `minRefreshMs`, so a flood of tokens with made-up kids costs the identity provider one request per
 * worker per interval, not one per token — and, for a URL, in the background once the keys are older than
 * `maxAgeMs`. A load that fails keeps the keys already there.
 */

export interface JwksOptions {
  /** Unknown-kid reloads at most this often. */
  minRefreshMs?: number;
  /** Keys are reloaded in the background (on the next use) once older than this. */
  maxAgeMs?: number;
  fetchTimeoutMs?: number;
  now?: () => number;
  /** Where failures are told (the worker's stderr, which lands in the edge's log). */
  log?: (line: string) => void;
}

export const JWKS_MIN_REFRESH_MS = 30_000;
export const JWKS_MAX_AGE_MS = 10 * 60_000;
const FETCH_TIMEOUT_MS = 5_000;
const MAX_JWKS_BYTES = 1024 * 1024;
const MAX_KEYS = 100;

let generations = 0;

export class JwksCache {
  readonly source: string;
  private current: KeySet | undefined;
  private loading: Promise<void> | undefined;
  private lastLoadAt = Number.NEGATIVE_INFINITY;
  private loadedAt = Number.NEGATIVE_INFINITY;
  private readonly minRefreshMs: number;
  private readonly maxAgeMs: number;
  private readonly fetchTimeoutMs: number;
  private readonly now: () => number;
  private readonly log: (line: string) => void;
  /** Loads started (for tests and the flood check). */
  loads = 0;
  lastError: string | undefined;

  constructor(source: string, options: JwksOptions = {}) {
    this.source = source;
    this.minRefreshMs = options.minRefreshMs ?? JWKS_MIN_REFRESH_MS;
    this.maxAgeMs = options.maxAgeMs ?? JWKS_MAX_AGE_MS;
    this.fetchTimeoutMs = options.fetchTimeoutMs ?? FETCH_TIMEOUT_MS;
    this.now = options.now ?? (() => performance.now());
    this.log = options.log ?? ((line) => process.stderr.write(`${line}\n`));
  }

  /** The keys now, or undefined before the first successful load. Starts a background reload when a URL's keys are old. */
  keys(): KeySet | undefined {
    // Files too: a key removed from the JWKS (revoked) stops verifying within maxAgeMs, not only at the next unknown kid.
    if (this.current !== undefined && this.now() - this.loadedAt > this.maxAgeMs) void this.reload();
    return this.current;
  }

  /** The first load (or the one in progress): what a request waits for when no keys are there yet. */
  ready(): Promise<void> {
    if (this.current !== undefined) return Promise.resolve();
    return this.reload() ?? Promise.resolve();
  }

  /**
   * A token named a kid the keys do not have: reload, unless one ran within `minRefreshMs`. Returns the load to
   * wait for, or undefined when the interval forbids one (the token is refused at once).
   */
  refreshForUnknownKid(): Promise<void> | undefined {
    return this.reload();
  }

  private reload(): Promise<void> | undefined {
    if (this.loading !== undefined) return this.loading;
    if (this.now() - this.lastLoadAt < this.minRefreshMs) return undefined;
    this.lastLoadAt = this.now();
    this.loads++;
    this.loading = this.load()
      .then(
        (keys) => {
          this.loadedAt = this.now();
          this.lastError = undefined;
          if (this.current === undefined || !sameKeys(this.current, keys)) this.current = keys;
        },
        (error: unknown) => {
          this.lastError = error instanceof Error ? error.message : String(error);
          this.log(
            `edge: could not load the JWKS ${this.source}: ${this.lastError}; keeping ${this.current === undefined ? "no" : "the previous"} keys`,
          );
        },
      )
      .finally(() => {
        this.loading = undefined;
      });
    return this.loading;
  }

  private async load(): Promise<KeySet> {
    const text = isUrl(this.source) ? await fetchText(this.source, this.fetchTimeoutMs) : await readFile(this.source, "utf8");
    if (text.length > MAX_JWKS_BYTES) throw new Error(`it is larger than ${MAX_JWKS_BYTES} bytes`);
    return parseJwks(JSON.parse(text));
  }
}

function isUrl(source: string): boolean {
  return source.startsWith("https://") || source.startsWith("http://");
}

async function fetchText(url: string, timeoutMs: number): Promise<string> {
  const response = await fetch(url, {
    signal: AbortSignal.timeout(timeoutMs),
    headers: { accept: "application/json" },
    redirect: "follow",
  });
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  return response.text();
}

/** A JWKS document to the keys the edge verifies with: public signing keys of the three algorithms, nothing symmetric. */
export function parseJwks(document: unknown): KeySet {
  if (typeof document !== "object" || document === null || !Array.isArray((document as { keys?: unknown }).keys))
    throw new Error('it is not a JWKS (an object with a "keys" array)');
  const list = (document as { keys: unknown[] }).keys.slice(0, MAX_KEYS);
  const byKid = new Map<string, VerificationKey>();
  const unnamed: VerificationKey[] = [];
  for (const jwk of list) {
    const key = toVerificationKey(jwk);
    if (key === undefined) continue;
    if (key.kid === undefined) unnamed.push(key);
    else if (!byKid.has(key.kid)) byKid.set(key.kid, key);
  }
  return { generation: ++generations, byKid, unnamed };
}

function toVerificationKey(jwk: unknown): VerificationKey | undefined {
  if (typeof jwk !== "object" || jwk === null) return undefined;
  const { kty, crv, alg, use, kid } = jwk as Record<string, unknown>;
  if (use !== undefined && use !== "sig") return undefined;
  if (kid !== undefined && typeof kid !== "string") return undefined;
  const keyAlg = algOf(kty, crv);
  // A JWK naming another algorithm (RS384, PS256 …) is not one of ours; `oct` keys never get here.
  if (keyAlg === undefined || (alg !== undefined && alg !== keyAlg)) return undefined;
  try {
    // Only the public members: a JWKS that (wrongly) publishes a private key still yields a public key.
    const key = createPublicKey({ key: publicMembers(jwk as JsonWebKey), format: "jwk" });
    return { kid, alg: keyAlg, key };
  } catch {
    return undefined;
  }
}

function algOf(kty: unknown, crv: unknown): JwtAlg | undefined {
  if (kty === "RSA") return "RS256";
  if (kty === "EC" && crv === "P-256") return "ES256";
  if (kty === "OKP" && (crv === "Ed25519" || crv === "Ed448")) return "EdDSA";
  return undefined;
}

function publicMembers(jwk: JsonWebKey): JsonWebKey {
  const { kty, crv, n, e, x, y } = jwk;
  const out: JsonWebKey = {};
  if (kty !== undefined) out.kty = kty;
  if (crv !== undefined) out.crv = crv;
  if (n !== undefined) out.n = n;
  if (e !== undefined) out.e = e;
  if (x !== undefined) out.x = x;
  if (y !== undefined) out.y = y;
  return out;
}

function sameKeys(a: KeySet, b: KeySet): boolean {
  if (a.byKid.size !== b.byKid.size || a.unnamed.length !== b.unnamed.length) return false;
  for (const [kid, key] of a.byKid) {
    const other = b.byKid.get(kid);
    if (other === undefined || !other.key.equals(key.key)) return false;
  }
  return a.unnamed.every((key, i) => b.unnamed[i]?.key.equals(key.key) === true);
}
