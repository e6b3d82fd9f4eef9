import { createHmac, generateKeyPairSync, sign, type KeyObject } from "node:crypto";

/** Signing keys and token minting for the gateway's tests and benchmark: real keys, real signatures, and forgeries. */

export interface TestKey {
  readonly kid: string;
  readonly alg: "RS256" | "ES256" | "EdDSA";
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

export function makeKey(alg: TestKey["alg"], kid: string): TestKey {
  const pair =
    alg === "RS256"
      ? generateKeyPairSync("rsa", { modulusLength: 2048 })
      : alg === "ES256"
        ? generateKeyPairSync("ec", { namedCurve: "P-256" })
        : generateKeyPairSync("ed25519");
  return { kid, alg, privateKey: pair.privateKey, publicKey: pair.publicKey };
}

/** The public JWKS document of these keys (what an identity provider publishes). */
export function jwksOf(keys: readonly TestKey[]): { keys: Record<string, unknown>[] } {
  return { keys: keys.map((k) => ({ ...k.publicKey.export({ format: "jwk" }), kid: k.kid, alg: k.alg, use: "sig" })) };
}

const b64 = (value: unknown): string => Buffer.from(typeof value === "string" ? value : JSON.stringify(value)).toString("base64url");

/** A token signed by `key`; `header` overrides or adds header fields (kid, alg …). */
export function signToken(key: TestKey, claims: Record<string, unknown>, header: Record<string, unknown> = {}): string {
  const head = { alg: key.alg, typ: "JWT", kid: key.kid, ...header };
  const input = `${b64(head)}.${b64(claims)}`;
  const data = Buffer.from(input);
  const signature =
    key.alg === "ES256"
      ? sign("sha256", data, { key: key.privateKey, dsaEncoding: "ieee-p1363" })
      : key.alg === "RS256"
        ? sign("sha256", data, key.privateKey)
        : sign(null, data, key.privateKey);
  return `${input}.${signature.toString("base64url")}`;
}

/** `alg: none` with an empty signature (the classic). */
export function unsignedToken(claims: Record<string, unknown>, kid?: string): string {
  return `${b64({ alg: "none", typ: "JWT", ...(kid === undefined ? {} : { kid }) })}.${b64(claims)}.`;
}

/** HS256 "signed" with the RSA key's public PEM as the HMAC secret (algorithm confusion). */
export function confusedToken(rsa: TestKey, claims: Record<string, unknown>): string {
  const secret = rsa.publicKey.export({ type: "spki", format: "pem" });
  const input = `${b64({ alg: "HS256", typ: "JWT", kid: rsa.kid })}.${b64(claims)}`;
  return `${input}.${createHmac("sha256", secret).update(input).digest("base64url")}`;
}

/** Standard claims valid now for `issuer`/`audience`, overridable. */
export function claimsFor(issuer: string, audience: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  return { iss: issuer, aud: audience, sub: "user-42", iat: now, exp: now + 300, ...extra };
}
