import { argon2, randomBytes, timingSafeEqual } from "node:crypto";

/**
 * Passwords are hashed with argon2id at OWASP's current minimum (m=19 MiB, t=2, p=1) through node:crypto's
 * OpenSSL binding (Node ≥ 24.7), and stored as PHC strings so parameters travel with each hash: a login with
 * older parameters is re-hashed (`needsRehash`).
 */
export interface Argon2Params {
  memoryKiB: number;
  passes: number;
  parallelism: number;
}

export const OWASP_ARGON2ID: Argon2Params = { memoryKiB: 19_456, passes: 2, parallelism: 1 };

const SALT_BYTES = 16;
const TAG_BYTES = 32;
/** Longer inputs are refused before hashing: a megabyte "password" must not cost the server a megabyte of work. */
export const MAX_PASSWORD_BYTES = 1024;
export const MIN_PASSWORD_LENGTH = 12;

const PHC = /^\$argon2id\$v=19\$m=(\d{1,7}),t=(\d{1,3}),p=(\d{1,3})\$([A-Za-z0-9+/]{16,}={0,2})\$([A-Za-z0-9+/]{16,}={0,2})$/;

export interface ParsedHash {
  params: Argon2Params;
  salt: Buffer;
  tag: Buffer;
}

export function parsePhc(phc: string): ParsedHash | null {
  const m = PHC.exec(phc);
  if (!m) return null;
  const [, memory, passes, parallelism, salt, tag] = m;
  return {
    params: { memoryKiB: Number(memory), passes: Number(passes), parallelism: Number(parallelism) },
    salt: Buffer.from(salt ?? "", "base64"),
    tag: Buffer.from(tag ?? "", "base64"),
  };
}

function b64(bytes: Buffer): string {
  // PHC strings use unpadded standard base64.
  return bytes.toString("base64").replace(/=+$/, "");
}

function derive(password: string, salt: Buffer, params: Argon2Params, tagLength: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    argon2(
      "argon2id",
      {
        message: Buffer.from(password, "utf8"),
        nonce: salt,
        parallelism: params.parallelism,
        tagLength,
        memory: params.memoryKiB,
        passes: params.passes,
      },
      (error, tag) => (error ? reject(error) : resolve(Buffer.from(tag))),
    );
  });
}

export async function hashPassword(password: string, params: Argon2Params = OWASP_ARGON2ID): Promise<string> {
  assertPasswordSize(password);
  const salt = randomBytes(SALT_BYTES);
  const tag = await derive(password, salt, params, TAG_BYTES);
  return `$argon2id$v=19$m=${params.memoryKiB},t=${params.passes},p=${params.parallelism}$${b64(salt)}$${b64(tag)}`;
}

/** Constant-time comparison of the derived tag; a malformed stored hash never matches. */
export async function verifyPassword(phc: string, password: string): Promise<boolean> {
  const parsed = parsePhc(phc);
  if (!parsed || Buffer.byteLength(password, "utf8") > MAX_PASSWORD_BYTES) return false;
  const tag = await derive(password, parsed.salt, parsed.params, parsed.tag.length);
  return tag.length === parsed.tag.length && timingSafeEqual(tag, parsed.tag);
}

export function needsRehash(phc: string, params: Argon2Params = OWASP_ARGON2ID): boolean {
  const parsed = parsePhc(phc);
  if (!parsed) return true;
  const p = parsed.params;
  return p.memoryKiB !== params.memoryKiB || p.passes !== params.passes || p.parallelism !== params.parallelism;
}

/** OWASP ASVS: length over composition rules; at least 12 characters, at most 1 KiB. */
export function passwordProblem(password: string): string | null {
  if ([...password].length < MIN_PASSWORD_LENGTH) return `a password needs at least ${MIN_PASSWORD_LENGTH} characters`;
  if (Buffer.byteLength(password, "utf8") > MAX_PASSWORD_BYTES) return `a password may have at most ${MAX_PASSWORD_BYTES} bytes`;
  return null;
}

function assertPasswordSize(password: string): void {
  if (Buffer.byteLength(password, "utf8") > MAX_PASSWORD_BYTES) throw new Error(`a password may have at most ${MAX_PASSWORD_BYTES} bytes`);
}
