import { isSameProcess } from "../runtime/process-info.ts";
import { waitFor } from "../shared/wait.ts";
import { DrillPlatform, drillRow, expectations } from "./drill-platform.ts";
import type { Drill, DrillOptions, DrillResult } from "./drill.types.ts";
import { descendantsOf, edgesOf, identify } from "./processes.ts";

/**
 * kill -9 of the edge process (the one the control plane records; with several workers, their parent) under
 * steady traffic. Measures how long until a new edge serves and how many requests the gap cost.
 */
async function edgeKill(options: DrillOptions): Promise<DrillResult[]> {
  const platform = await DrillPlatform.start(options);
  try {
    const checks = expectations();
    const { expect } = checks;
    const oldPid = (await platform.up.client.status()).edge.pid;
    const old = oldPid === null ? null : identify(oldPid);
    if (old === null) throw new Error("no edge process recorded");
    const workers = descendantsOf(old.pid);
    platform.track(workers);
    const load = platform.load(30_000);
    await waitFor(() => (load.current().ok >= options.rate ? true : undefined), { timeoutMs: 10_000 });
    const acknowledged = platform.watcher.acknowledged();
    const killedAt = Date.now();
    process.kill(old.pid, "SIGKILL");
    // Workers outlive their primary on purpose: they serve until the new edge answers.
    await waitFor(() => (isSameProcess(old.pid, old.start) ? undefined : true), { timeoutMs: 5_000, intervalMs: 5 });
    const survivedKill = workers.filter((w) => isSameProcess(w.pid, w.start)).length;
    const newPid = await waitFor(
      async () => {
        const pid = (await platform.up.client.status()).edge.pid;
        return pid !== null && pid !== old.pid ? pid : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 20 },
    );
    const replacedMs = Date.now() - killedAt;
    platform.track(descendantsOf(newPid));
    // Serving again: a full second of traffic with no failure.
    const servingAt = await waitFor(
      () => {
        const now = load.current();
        return now.lastFailureAt === null || Date.now() - now.lastFailureAt > 1_000 ? (now.lastFailureAt ?? killedAt) : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 20 },
    );
    // The killed edge's workers serve on until the new edge answers, then drain and exit (edge-worker.ts).
    const orphans = await waitFor(
      () => {
        const left = workers.filter((w) => isSameProcess(w.pid, w.start));
        return left.length === 0 ? left : undefined;
      },
      { timeoutMs: 15_000 },
    ).catch(() => workers.filter((w) => isSameProcess(w.pid, w.start)));
    const result = await load.stop();
    // With no failure, serving never stopped: the orphaned workers bridged the gap until the new edge was up.
    const recoveredMs = result.failed > 0 ? servingAt - killedAt : 0;
    checks.expectTiming(recoveredMs <= 1_000, `serving again within 1 s (took ${recoveredMs} ms)`);
    expect(
      orphans.length === 0,
      `the killed edge's workers left once the new edge served (${orphans.length} of ${workers.length} still running)`,
    );
    const started = await platform.up.client.events({ type: "edge.started" });
    expect(
      started.some((e) => e.data.pid === newPid),
      "edge.started recorded for the new edge",
    );
    const state = await platform.check(acknowledged);
    return [
      drillRow("kill -9 edge", result, recoveredMs, state, checks, [
        `new edge (pid ${newPid}) recorded ${replacedMs} ms after the kill; ${result.failed} requests failed at ${options.rate} req/s` +
          (result.firstFailureAt
            ? `, between +${result.firstFailureAt - killedAt} and +${(result.lastFailureAt ?? killedAt) - killedAt} ms`
            : ""),
        `the killed edge had ${workers.length} worker process(es); ${survivedKill} served on until the new edge answered, ${orphans.length} still running afterwards`,
      ]),
    ];
  } finally {
    await platform.cleanup();
  }
}

const SLOW_START_MS = 2_500;

/**
 * kill -9 of the edge, and its replacement slow to start (held stopped for 2.5 s, as on a loaded machine): the
 * control plane must still end up with exactly one edge, the one it records, serving.
 */
async function edgeKillSlowRestart(options: DrillOptions): Promise<DrillResult[]> {
  const platform = await DrillPlatform.start(options);
  try {
    const checks = expectations();
    const { expect } = checks;
    const dataDir = platform.project.dataDir;
    const oldPid = (await platform.up.client.status()).edge.pid ?? 0;
    platform.track(descendantsOf(oldPid));
    const load = platform.load(60_000);
    await waitFor(() => (load.current().ok >= options.rate ? true : undefined), { timeoutMs: 10_000 });
    const acknowledged = platform.watcher.acknowledged();
    const killedAt = Date.now();
    process.kill(oldPid, "SIGKILL");
    const slow = await waitFor(() => edgesOf(dataDir).find((pid) => pid !== oldPid), { timeoutMs: 10_000, intervalMs: 2 });
    process.kill(slow, "SIGSTOP");
    platform.onCleanup(() => process.kill(slow, "SIGCONT"));
    await waitFor(() => (Date.now() - killedAt > SLOW_START_MS ? true : undefined), { timeoutMs: SLOW_START_MS + 1_000 });
    process.kill(slow, "SIGCONT");
    // Serving again: a full second of traffic with no failure (none at all is the goal: the killed edge's workers
    // serve until the replacement answers), and the replacement recorded.
    await waitFor(
      async () => {
        const now = load.current();
        const quietSince = now.lastFailureAt ?? killedAt + SLOW_START_MS;
        if (Date.now() - quietSince <= 1_000) return undefined;
        return (await platform.up.client.status()).edge.pid === slow ? true : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 20 },
    );
    const recoveredMs = (load.current().lastFailureAt ?? killedAt) - killedAt;
    const edges = edgesOf(dataDir);
    for (const pid of edges) platform.track(descendantsOf(pid).concat(identify(pid) ?? []));
    const recorded = (await platform.up.client.status()).edge.pid;
    const result = await load.stop();
    const started = (await platform.up.client.events({ type: "edge.started" })).filter((e) => e.id > Math.max(0, ...acknowledged.keys()));
    expect(
      started.length === 1,
      `one replacement edge started, not ${started.length} (pids ${started.map((e) => String(e.data.pid)).join(", ")})`,
    );
    expect(edges.length === 1, `exactly one edge serves the data dir (found ${edges.length}: ${edges.join(", ")})`);
    expect(recorded !== null && edges.includes(recorded), `the recorded edge (pid ${String(recorded)}) is the one running`);
    const state = await platform.check(acknowledged);
    return [
      drillRow("kill -9 edge, replacement slow to start (2.5 s)", result, recoveredMs, state, checks, [
        `edges running afterwards: ${edges.join(", ") || "none"}; recorded: ${String(recorded)}`,
      ]),
    ];
  } finally {
    await platform.cleanup();
  }
}

export const edgeDrill: Drill = { name: "edge-kill", run: edgeKill };
export const edgeSlowRestartDrill: Drill = { name: "edge-kill-slow-restart", run: edgeKillSlowRestart };
