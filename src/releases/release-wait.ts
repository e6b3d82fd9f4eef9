import type { ApiClient } from "../client/api-client.ts";
import { BuildOutput } from "./build-output.ts";
import type { ReleaseView } from "./release.types.ts";
import { RolloutProgress } from "./rollout-progress.ts";

/** Where `--wait` writes its progress: stderr, on a terminal and in pipes alike (stdout keeps the result). */
export function printProgress(line: string): void {
  process.stderr.write(`${line}\n`);
}

function silent(): void {}

/** After the build, its last lines may still be on their way into the log index: polled this long more. */
const BUILD_TAIL_MS = 1_500;

/**
 * `--wait`: follows the rollout until the release is live (resolves) or failed (rejects with the reason), handing each
 * change of step, split, verdict, hold reason and instance health to `print` as it happens (nothing by default), and
 * the build's output, while it builds, to `printBuild`.
 */
export async function waitForRelease(
  client: ApiClient,
  release: ReleaseView,
  timeoutMs: number,
  print: (line: string) => void = silent,
  printBuild: (line: string) => void = silent,
): Promise<ReleaseView> {
  const deadline = Date.now() + timeoutMs;
  const progress = new RolloutProgress();
  const build = printBuild === silent || !release.config.build ? undefined : new BuildOutput(client, release, printBuild);
  let builtAt: number | undefined;
  let afterId: number | undefined;
  for (;;) {
    const current = await client.release(release.env, release.app, release.number);
    if (build && current.rollout?.state !== "building") builtAt ??= Date.now();
    if (build && (builtAt === undefined || Date.now() - builtAt < BUILD_TAIL_MS)) await build.poll();
    if (print !== silent) {
      const scope = { env: release.env, app: release.app, type: "rollout." };
      const events = await client.events(afterId === undefined ? { ...scope, since: release.createdAt } : { ...scope, afterId });
      afterId = events.at(-1)?.id ?? afterId;
      for (const line of progress.lines(current, events, Date.now())) print(line);
    }
    // Live, and the old release drained (or, blue-green, kept warm on purpose for an instant rollback).
    if (current.status === "live" && (current.rollout?.state === "completed" || current.rollout?.state === "warm")) return current;
    if (current.status === "failed" || current.status === "rolled_back") {
      // A failed build's last lines, streamed before the error that repeats them.
      if (build && builtAt !== undefined) await build.drainUntil(builtAt + BUILD_TAIL_MS);
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

/**
 * Without `--wait`: prints the build's output while the release builds and returns the release once it is past its
 * build (failed, or starting its instances); at once for an app without a build command.
 */
export async function followBuild(client: ApiClient, release: ReleaseView, printBuild: (line: string) => void): Promise<ReleaseView> {
  if (!release.config.build) return release;
  const build = new BuildOutput(client, release, printBuild);
  for (;;) {
    const current = await client.release(release.env, release.app, release.number);
    if (current.rollout?.state !== "building") {
      await build.drainUntil(Date.now() + BUILD_TAIL_MS);
      return current;
    }
    await build.poll();
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
