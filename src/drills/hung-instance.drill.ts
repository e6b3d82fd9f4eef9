import { readProcessUsage } from "../runtime/process-info.ts";
import { waitFor } from "../shared/wait.ts";
import { DrillPlatform, drillRow, expectations } from "./drill-platform.ts";
import type { Drill, DrillOptions, DrillResult } from "./drill.types.ts";
import { descendantsOf, establishedWith } from "./processes.ts";

const UPSTREAM_TIMEOUT_MS = 2_000;
/** After ejection, requests already sent to the hung instance still time out: wait that long, and a margin. */
const SETTLE_MS = UPSTREAM_TIMEOUT_MS + 2_000;
/** How long the instance stays hung after it was ejected, to see that nothing piles up meanwhile. */
const HUNG_AFTER_EJECTION_MS = 5_000;

/**
 * One instance stops answering but keeps accepting (SIGSTOP: the kernel still completes handshakes, so this works
 * with any app). Expected: requests sent to it end in 504 at the app's `timeout`, the health check ejects it, no
 * request fails after that, and neither connections nor the edge's memory grow while it stays hung.
 */
async function hungInstance(options: DrillOptions): Promise<DrillResult[]> {
  const platform = await DrillPlatform.start({ ...options, instances: 3, appYaml: `    timeout: ${UPSTREAM_TIMEOUT_MS}ms` });
  try {
    const checks = expectations();
    const { expect } = checks;
    const [victim] = await platform.waitHealthy(3);
    if (!victim?.pid) throw new Error("no instance to hang");
    const edgePid = (await platform.up.client.status()).edge.pid ?? 0;
    const edgeRss = () =>
      [edgePid, ...descendantsOf(edgePid).map((p) => p.pid)].reduce((sum, pid) => sum + (readProcessUsage(pid)?.rssBytes ?? 0), 0);
    // Requests to the hung instance wait the whole upstream timeout: room for all of them, so none is skipped.
    const load = platform.load(60_000, Math.ceil(options.rate * 3));
    await waitFor(() => (load.current().ok >= options.rate ? true : undefined), { timeoutMs: 10_000 });
    const rssBefore = edgeRss();
    const acknowledged = platform.watcher.acknowledged();
    const hungAt = Date.now();
    process.kill(victim.pid, "SIGSTOP");
    platform.onCleanup(() => process.kill(victim.pid ?? 0, "SIGCONT"));
    let peak = { accepted: 0, opened: 0 };
    const sample = () => {
      const now = establishedWith(victim.port);
      peak = { accepted: Math.max(peak.accepted, now.accepted), opened: Math.max(peak.opened, now.opened) };
    };
    await waitFor(
      async () => {
        sample();
        const instance = (await platform.instances()).find((i) => i.id === victim.id);
        return instance && instance.health !== "healthy" ? true : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 50 },
    );
    const ejectedMs = Date.now() - hungAt;
    // Failures still in flight at ejection land within one upstream timeout; count only what comes after.
    await waitFor(() => (sample(), Date.now() - hungAt > ejectedMs + SETTLE_MS ? true : undefined), { timeoutMs: 10_000, intervalMs: 50 });
    const failedAtEjection = load.current().failed;
    const connectionsAtEjection = establishedWith(victim.port);
    await waitFor(() => (sample(), Date.now() - hungAt > ejectedMs + SETTLE_MS + HUNG_AFTER_EJECTION_MS ? true : undefined), {
      timeoutMs: 20_000,
      intervalMs: 50,
    });
    const connectionsLater = establishedWith(victim.port);
    const rssLater = edgeRss();
    const failedLater = load.current().failed;
    process.kill(victim.pid, "SIGCONT");
    await platform.waitHealthy(3);
    const recoveredMs = Date.now() - hungAt;
    const result = await load.stop();
    expect(failedLater === failedAtEjection, `no failure after ejection (${failedLater - failedAtEjection} more)`);
    expect(
      Object.keys(result.failureKinds).every((k) => k === "HTTP 504"),
      "every failure is a 504 gateway timeout",
    );
    // One health probe at a time may be waiting on it; traffic must not leave connections behind.
    expect(
      connectionsLater.opened <= Math.max(2, connectionsAtEjection.opened),
      `connections to the hung instance do not grow (${connectionsAtEjection.opened} → ${connectionsLater.opened})`,
    );
    expect(rssLater < rssBefore + 64 * 1024 * 1024, "the edge's memory does not grow by more than 64 MiB");
    const state = await platform.check(acknowledged);
    const mib = (bytes: number) => `${Math.round(bytes / 1024 / 1024)} MiB`;
    return [
      drillRow("hung instance (accepts, never answers)", result, ejectedMs, state, checks, [
        `ejected (health check) ${ejectedMs} ms after it hung; ${result.failed} requests timed out (${UPSTREAM_TIMEOUT_MS} ms) before that, 0 after`,
        `connections to it: peak ${peak.opened} from clients (edge + health probes), ${peak.accepted} accepted by the kernel; ${connectionsLater.opened} still open ${HUNG_AFTER_EJECTION_MS / 1000} s after ejection`,
        `edge RSS ${mib(rssBefore)} → ${mib(rssLater)}; healthy again ${recoveredMs} ms after it hung (SIGCONT)`,
      ]),
    ];
  } finally {
    await platform.cleanup();
  }
}

export const hungInstanceDrill: Drill = { name: "hung-instance", run: hungInstance };
