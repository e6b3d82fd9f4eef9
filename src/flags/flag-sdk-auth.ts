import { createHash } from "node:crypto";
import { RampartError } from "../shared/errors.ts";
import type { FlagAccessStore } from "./flag-access.store.ts";

export function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/**
 * Resolves `Authorization: Bearer rsdk_…` to the token's environment. Only the SHA-256 is stored, so a leaked
 * database does not leak tokens; a hash lookup also needs no constant-time compare. Known tokens are cached.
 */
export class SdkTokenAuth {
  readonly #access: FlagAccessStore;
  readonly #known = new Map<string, string>();

  constructor(access: FlagAccessStore) {
    this.#access = access;
  }

  async envOf(authorization: string | undefined): Promise<string> {
    const token = authorization?.startsWith("Bearer ") ? authorization.slice(7).trim() : "";
    if (!token.startsWith("rsdk_")) {
      throw new RampartError("unauthorized", "missing or malformed SDK token: send Authorization: Bearer rsdk_<env>_<hex>", {
        hint: "create one with rampart flags token --env ENV",
      });
    }
    const hash = sha256(token);
    const env = this.#known.get(hash) ?? (await this.#access.tokenEnv(hash));
    if (env === undefined)
      throw new RampartError("unauthorized", "unknown SDK token", { hint: "create one with rampart flags token --env ENV" });
    this.#known.set(hash, env);
    return env;
  }
}
