import type { ApiClient } from "../client/api-client.ts";
import { progress } from "../cli/cli-context.ts";
import type { ReleaseView } from "./release.types.ts";

/** `--wait`: follows the rollout until the release is live (resolves) or failed (rejects with the reason). */
export async function waitForRelease(client: ApiClient, release: ReleaseView, timeoutMs: number): Promise<ReleaseView> {
  const deadline = Date.now() + timeoutMs;
  let lastMessage = "";
  for (;;) {
    const current = await client.release(release.env, release.app, release.number);
    const message = current.rollout?.message ?? "";
    if (message && message !== lastMessage) progress(`  ${message}`);
    lastMessage = message;
    // Live, and the old release drained (or, blue-green, kept warm on purpose for an instant rollback).
    if (current.status === "live" && (current.rollout?.state === "completed" || current.rollout?.state === "warm")) return current;
    if (current.status === "failed" || current.status === "rolled_back") {
      throw new Error(
        `release ${current.number} ${current.status === "failed" ? "failed" : "was rolled back"}: ${current.reason ?? "no reason recorded"}`,
      );
    }
    if (Date.now() > deadline)
      throw new Error(
        `release ${current.number} is still ${current.status} after ${Math.round(timeoutMs / 1000)} s; it goes on in the background (rampart releases ${current.app} --env ${current.env})`,
      );
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
