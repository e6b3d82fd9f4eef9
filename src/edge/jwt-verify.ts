import { verify as verifySignature, type KeyObject } from "node:crypto";

/**
 * JWT bearer verification at the edge (RFC 7519 / 7515), with node:crypto only: synchronous, no promise per
 * request. Only asymmetric algorithms are accepted (RS256, ES256, EdDSA), each only with a key of its own type,
 * so neither `alg: none` nor an HS256 token "signed" with the RSA public key (algorithm confusion) can pass:
 * a JWKS never yields a symmetric key here (jwks-cache.ts drops `oct` keys).
 */

export type JwtAlg = "RS256" | "ES256" | "EdDSA";

export interface VerificationKey {
  readonly kid: string | undefined;
  /** The only algorithm this key verifies, from its type (and its JWK `alg` when it names one). */
  readonly alg: JwtAlg;
  readonly key: KeyObject;
}

export interface KeySet {
  /** Changes whenever the keys change: verified tokens cached under an older generation are verified again. */
  readonly generation: number;
  readonly byKid: ReadonlyMap<string, VerificationKey>;
  /** Keys without a `kid`: tried for a token without one, when exactly one fits its algorithm. */
  readonly unnamed: readonly VerificationKey[];
}

export interface JwtPolicy {
  readonly issuer: string;
  readonly audience: string;
  /** Claims that must be present (any value but null); a token without one is a 403, not a 401. */
  readonly requiredClaims: readonly string[];
  /** Clock skew allowed on `exp` and `nbf`, in seconds. */
  readonly leewaySec: number;
}

export type JwtFailure =
  | "too_large"
  | "malformed"
  | "unsupported_alg"
  | "unknown_kid"
  | "bad_signature"
  | "expired"
  | "not_yet_valid"
  | "wrong_issuer"
  | "wrong_audience"
  | "no_subject"
  | "missing_claim";

export type JwtResult =
  | { readonly ok: true; readonly subject: string; readonly exp: number; readonly nbf: number }
  | { readonly ok: false; readonly failure: JwtFailure; readonly message: string };

/** Larger than any sane access token (Auth0, Keycloak and Entra tokens are 1–3 kB); refused before any decoding. */
export const MAX_TOKEN_LENGTH = 8_192;
/** The default clock-skew allowance on exp/nbf (seconds), as most libraries default to 0–60 s. */
export const DEFAULT_LEEWAY_SEC = 30;

const BASE64URL = /^[A-Za-z0-9_-]+$/;
const ALGS: ReadonlySet<string> = new Set(["RS256", "ES256", "EdDSA"]);

function fail(failure: JwtFailure, message: string): JwtResult {
  return { ok: false, failure, message };
}

/** Verifies signature and claims. Never throws; the messages never contain the token. */
export function verifyJwt(token: string, keys: KeySet, policy: JwtPolicy, nowSec: number): JwtResult {
  if (token.length > MAX_TOKEN_LENGTH) return fail("too_large", `the token is longer than ${MAX_TOKEN_LENGTH} characters`);
  const first = token.indexOf(".");
  const second = first === -1 ? -1 : token.indexOf(".", first + 1);
  if (second === -1 || token.indexOf(".", second + 1) !== -1) return fail("malformed", "the token is not three base64url parts");
  const headerPart = token.slice(0, first);
  const payloadPart = token.slice(first + 1, second);
  const signaturePart = token.slice(second + 1);
  // Strict base64url: Buffer.from would silently skip invalid characters and read a different token.
  // An empty signature is let through to the alg check, so `alg: none` is refused for what it is.
  if (!BASE64URL.test(headerPart) || !BASE64URL.test(payloadPart) || (signaturePart !== "" && !BASE64URL.test(signaturePart)))
    return fail("malformed", "the token is not three base64url parts");
  const header = decodeJson(headerPart);
  if (header === undefined) return fail("malformed", "the token's header is not a JSON object");
  const alg = header.alg;
  if (typeof alg !== "string" || !ALGS.has(alg))
    return fail("unsupported_alg", "the token's alg is not accepted (RS256, ES256 or EdDSA only)");
  // RFC 7515 §4.1.11: an extension the verifier does not understand must make the token invalid.
  if (header.crit !== undefined) return fail("malformed", "the token's header has crit extensions, which are not supported");
  const kid = header.kid;
  if (kid !== undefined && typeof kid !== "string") return fail("malformed", "the token's kid is not a string");
  const key = findKey(keys, kid, alg as JwtAlg);
  if (key === undefined)
    return fail("unknown_kid", kid === undefined ? `no single ${alg} key fits a token without kid` : "no key with the token's kid");
  if (key.alg !== alg) return fail("unsupported_alg", `the key with the token's kid verifies ${key.alg}, not ${alg}`);
  const signature = Buffer.from(signaturePart, "base64url");
  const data = Buffer.from(token.slice(0, second), "latin1");
  if (!checkSignature(key, data, signature)) return fail("bad_signature", "the signature does not verify");
  const claims = decodeJson(payloadPart);
  if (claims === undefined) return fail("malformed", "the token's payload is not a JSON object");
  return checkClaims(claims, policy, nowSec);
}

/** Time-dependent checks of a token verified earlier (the cache's hit path). */
export function checkTimes(exp: number, nbf: number, leewaySec: number, nowSec: number): JwtResult | undefined {
  if (nowSec > exp + leewaySec) return fail("expired", "the token has expired");
  if (nowSec + leewaySec < nbf) return fail("not_yet_valid", "the token is not valid yet (nbf)");
  return undefined;
}

function checkClaims(claims: Record<string, unknown>, policy: JwtPolicy, nowSec: number): JwtResult {
  if (claims.iss !== policy.issuer) return fail("wrong_issuer", "the token's issuer (iss) is not the one configured");
  const aud = claims.aud;
  const audienceOk = aud === policy.audience || (Array.isArray(aud) && aud.includes(policy.audience));
  if (!audienceOk) return fail("wrong_audience", "the token's audience (aud) does not include the one configured");
  // A token without exp never expires: an access token the edge would accept forever is refused.
  if (typeof claims.exp !== "number" || !Number.isFinite(claims.exp)) return fail("expired", "the token has no numeric exp");
  const nbf = claims.nbf === undefined ? Number.NEGATIVE_INFINITY : claims.nbf;
  if (typeof nbf !== "number" || Number.isNaN(nbf)) return fail("malformed", "the token's nbf is not a number");
  const timeFailure = checkTimes(claims.exp, nbf, policy.leewaySec, nowSec);
  if (timeFailure !== undefined) return timeFailure;
  const sub = claims.sub;
  if (typeof sub !== "string" || sub.length === 0 || sub.length > 256)
    return fail("no_subject", "the token has no subject (sub) of 1–256 characters");
  for (const name of policy.requiredClaims) {
    if (claims[name] === undefined || claims[name] === null) return fail("missing_claim", `the token lacks the required claim ${name}`);
  }
  return { ok: true, subject: sub, exp: claims.exp, nbf };
}

function findKey(keys: KeySet, kid: string | undefined, alg: JwtAlg): VerificationKey | undefined {
  if (kid !== undefined) return keys.byKid.get(kid);
  let found: VerificationKey | undefined;
  for (const key of keys.unnamed) {
    if (key.alg !== alg) continue;
    // Two candidates: trying each would let a token pick its key; refused instead.
    if (found !== undefined) return undefined;
    found = key;
  }
  return found;
}

function checkSignature(key: VerificationKey, data: Buffer, signature: Buffer): boolean {
  try {
    if (key.alg === "ES256") {
      // JWS carries the raw r||s (64 bytes), not DER.
      if (signature.length !== 64) return false;
      return verifySignature("sha256", data, { key: key.key, dsaEncoding: "ieee-p1363" }, signature);
    }
    if (key.alg === "RS256") return verifySignature("sha256", data, key.key, signature);
    return verifySignature(null, data, key.key, signature);
  } catch {
    return false;
  }
}

function decodeJson(part: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
