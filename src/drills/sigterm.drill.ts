import { waitForRelease } from "../releases/release-wait.ts";
import { waitFor } from "../shared/wait.ts";
import { APP, DrillPlatform, drillRow, ENV, expectations } from "./drill-platform.ts";
import type { Drill, DrillOptions, DrillResult } from "./drill.types.ts";

/**
 * SIGTERM to `rampart up` in the middle of a rolling deploy: the API stops, the process exits 0, the edge and the
 * instances keep serving, and the next `rampart up` re-adopts them and finishes the rollout.
 */
async function sigterm(options: DrillOptions): Promise<DrillResult[]> {
  const platform = await DrillPlatform.start({ ...options, instances: 3 });
  try {
    const checks = expectations();
    const { expect } = checks;
    const load = platform.load(60_000);
    await waitFor(() => (load.current().ok >= options.rate / 2 ? true : undefined), { timeoutMs: 10_000 });
    platform.project.touchSource("sigterm-drill");
    const release = await platform.up.client.deploy(ENV, APP);
    await waitFor(
      async () => ((await platform.up.client.release(ENV, APP, release.number)).rollout?.state === "shifting" ? true : undefined),
      { timeoutMs: 30_000, intervalMs: 20 },
    );
    const running = (await platform.instances()).map((i) => i.pid);
    const acknowledged = platform.watcher.acknowledged();
    const signalledAt = Date.now();
    const exit = await Promise.race([
      platform.killControlPlane("SIGTERM"),
      new Promise<"timeout">((resolve) => setTimeout(() => resolve("timeout"), 15_000)),
    ]);
    const exitMs = Date.now() - signalledAt;
    expect(exit === 0, `exit code 0 (got ${String(exit)})`);
    const refused = await platform.up.client.health().then(
      () => false,
      () => true,
    );
    expect(refused, "the API no longer answers");
    // A second of traffic served with no control plane.
    const whileDown = load.current().ok;
    await waitFor(() => (load.current().ok >= whileDown + options.rate ? true : undefined), { timeoutMs: 10_000 });
    const restartedAt = Date.now();
    await platform.restart();
    const adopted = (await platform.instances()).map((i) => i.pid);
    expect(
      running.every((pid) => adopted.includes(pid)),
      "every instance running at SIGTERM was re-adopted, not restarted",
    );
    const live = await waitForRelease(platform.up.client, release, 60_000);
    const continuedMs = Date.now() - restartedAt;
    const result = await load.stop();
    expect(live.status === "live", "the next `up` finished the rollout");
    expect(result.failed === 0, "0 failed requests");
    const stopping = await platform.up.client.events({ type: "platform.stopping" });
    expect(stopping.length === 1, "platform.stopping recorded");
    const state = await platform.check(acknowledged);
    return [
      drillRow("SIGTERM to rampart up, mid-rollout", result, exitMs, state, checks, [
        `exited ${String(exit)} ${exitMs} ms after SIGTERM; the next up finished release ${release.number} ${continuedMs} ms after it started`,
      ]),
    ];
  } finally {
    await platform.cleanup();
  }
}

export const sigtermDrill: Drill = { name: "sigterm", run: sigterm };
