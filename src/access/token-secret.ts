import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

/**
 * Bearer secrets (personal and service tokens, session ids): 256 random bits behind a prefix that says what
 * they are (so a leaked one is recognisable by secret scanners, as GitHub's `ghp_` is), stored only as SHA-256.
 * A slow hash buys nothing here: the secret has 256 bits of entropy, unlike a password.
 */
export type SecretKind = "pat" | "svc" | "ses";

const PREFIX = "rampart_";
const SHAPE = /^rampart_(pat|svc|ses)_([A-Za-z0-9_-]{43})$/;

export interface IssuedSecret {
  /** Shown once to its owner, never stored. */
  secret: string;
  /** What is stored and looked up. */
  hash: string;
  /** The first characters, kept to tell tokens apart in listings ("rampart_svc_AbC1…"). */
  hint: string;
}

export function issueSecret(kind: SecretKind): IssuedSecret {
  const secret = `${PREFIX}${kind}_${randomBytes(32).toString("base64url")}`;
  return { secret, hash: hashSecret(secret), hint: `${secret.slice(0, PREFIX.length + kind.length + 5)}…` };
}

export function hashSecret(secret: string): string {
  return createHash("sha256").update(secret, "utf8").digest("hex");
}

/** The kind of a well-formed secret, or null: anything else is refused before a lookup. */
export function secretKind(candidate: string): SecretKind | null {
  const m = SHAPE.exec(candidate);
  return m ? (m[1] as SecretKind) : null;
}

/** Constant-time equality of two hex digests of equal length. */
export function sameDigest(a: string, b: string): boolean {
  const x = Buffer.from(a, "hex");
  const y = Buffer.from(b, "hex");
  return x.length === y.length && x.length > 0 && timingSafeEqual(x, y);
}
