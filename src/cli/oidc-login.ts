import { RampartError } from "../shared/errors.ts";
import type { TlsTrust } from "../client/tls-trust.ts";

/** Placeholder until the OIDC flow lands in this file. */
export async function oidcLogin(
  _api: string,
  _tls: TlsTrust | undefined,
  _say: (line: string) => void,
): Promise<{ token: string; user: string | null; expiresAt: number | null }> {
  throw new RampartError("invalid_option", "--oidc is not available yet", {
    hint: "log in with --user NAME --password-stdin or --token-stdin",
  });
}
