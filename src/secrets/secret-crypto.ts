import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";

/**
 * AES-256-GCM with additional authenticated data. A sealed value is `v1.<base64(iv ‖ tag ‖ ciphertext)>`: the AAD
 * is not stored, the caller rebuilds it from where the value belongs, so a ciphertext copied to another
 * env/app/key/version (or a data key copied to another environment) fails to open instead of decrypting.
 */
const IV_BYTES = 12;
const TAG_BYTES = 16;
export const KEY_BYTES = 32;

export function newKey(): Buffer {
  return randomBytes(KEY_BYTES);
}

export function seal(key: Buffer, plaintext: Buffer, aad: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  cipher.setAAD(Buffer.from(aad, "utf8"));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return `v1.${Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64")}`;
}

/** Throws when the key is wrong, the AAD differs or a byte was changed (GCM's tag does not verify). */
export function open(key: Buffer, sealed: string, aad: string): Buffer {
  if (!sealed.startsWith("v1.")) throw new Error("not a sealed value of a known format (expected v1.)");
  const raw = Buffer.from(sealed.slice(3), "base64");
  if (raw.length < IV_BYTES + TAG_BYTES) throw new Error("sealed value is truncated");
  const decipher = createDecipheriv("aes-256-gcm", key, raw.subarray(0, IV_BYTES));
  decipher.setAAD(Buffer.from(aad, "utf8"));
  decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
  return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
}

/** What binds a value to its place: a sealed value opens only under the same environment, app, key and version. */
export function valueAad(env: string, app: string, name: string, version: number): string {
  return `rampart/secret/v1\u0000${env}\u0000${app}\u0000${name}\u0000${version}`;
}

/** What binds a wrapped data key to its environment. */
export function dataKeyAad(env: string): string {
  return `rampart/data-key/v1\u0000${env}`;
}

/** A key's public name (not secret: a hash prefix), stored beside what it wrapped so a wrong key is named, not guessed. */
export function keyId(key: Buffer): string {
  return createHash("sha256").update("rampart/kek-id\u0000").update(key).digest("hex").slice(0, 16);
}
