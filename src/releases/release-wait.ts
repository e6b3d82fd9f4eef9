import type { ApiClient } from "../client/api-client.ts";
import type { ReleaseView } from "./release.types.ts";
import { RolloutProgress } from "./rollout-progress.ts";

/** Where `--wait` writes its progress: stderr, on a terminal and in pipes alike (stdout keeps the result). */
export function printProgress(line: string): void {
  process.stderr.write(`${line}\n`);
}

function silent(): void {}

/**
 * `--wait`: follows the rollout until the release is live (resolves) or failed (rejects with the reason), handing each
 * change of step, split, verdict, hold reason and instance health to `print` as it happens (nothing by default).
 */
export async function waitForRelease(
  client: ApiClient,
  release: ReleaseView,
  timeoutMs: number,
  print: (line: string) => void = silent,
): Promise<ReleaseView> {
  const deadline = Date.now() + timeoutMs;
  const progress = new RolloutProgress();
  let afterId: number | undefined;
  for (;;) {
    const current = await client.release(release.env, release.app, release.number);
    if (print !== silent) {
      const scope = { env: release.env, app: release.app, type: "rollout." };
      const events = await client.events(afterId === undefined ? { ...scope, since: release.createdAt } : { ...scope, afterId });
      afterId = events.at(-1)?.id ?? afterId;
      for (const line of progress.lines(current, events, Date.now())) print(line);
    }
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
