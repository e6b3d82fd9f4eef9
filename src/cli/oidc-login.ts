import { setTimeout as sleep } from "node:timers/promises";
import { ApiClient } from "../client/api-client.ts";
import type { TlsTrust } from "../client/tls-trust.ts";
import { RampartError } from "../shared/errors.ts";

const POLL_MS = 1_000;
const GIVE_UP_MS = 10 * 60_000;

/**
 * `rampart login URL --oidc`: the API starts a login and gives a URL; its user opens it in any browser (on this
 * machine or another: nothing listens here, which also works over SSH and in containers), logs in at the provider,
 * and this polls the API until the session is there. Like a device-code login, without a code to type.
 */
export async function oidcLogin(
  api: string,
  tls: TlsTrust | undefined,
  say: (line: string) => void,
  options: { pollMs?: number; giveUpMs?: number } = {},
): Promise<{ token: string; user: string | null; expiresAt: number | null }> {
  const client = new ApiClient({ baseUrl: api, token: "", tls });
  const { pollId, url } = await client.oidcCliStart(api);
  say(`Open this URL in a browser and log in; this command waits (up to 10 minutes):\n\n  ${url}\n`);
  const deadline = Date.now() + (options.giveUpMs ?? GIVE_UP_MS);
  while (Date.now() < deadline) {
    const answer = await client.oidcCliPoll(pollId);
    if (answer.status === "done") return { token: answer.token, user: answer.user, expiresAt: answer.expiresAt };
    await sleep(options.pollMs ?? POLL_MS);
  }
  throw new RampartError("oidc_state_invalid", "nobody completed the login in the browser within 10 minutes", {
    hint: `run rampart login ${api} --oidc again and open the URL it prints`,
  });
}
