import { createHash } from "node:crypto";
import type { EvaluationContext } from "./flag-data.ts";

/**
 * The only trace of a user that experiment data keeps: 128 bits of SHA-256 of the context's key. The SDK
 * hashes before sending, so raw keys (often e-mails) never leave the app; the HTTP route hashes on arrival.
 */
export function userHash(key: string): string {
  return createHash("sha256").update(key).digest("hex").slice(0, 32);
}

/** The context attribute that identifies a user for experiments: `targetingKey` (OpenFeature), else `key`, else `userId`. */
export function userKeyOf(context: EvaluationContext): string | undefined {
  for (const name of ["targetingKey", "key", "userId"]) {
    const v = context[name];
    if (typeof v === "string" && v.length > 0) return v;
    if (typeof v === "number") return String(v);
  }
  return undefined;
}
