import { readFileSync } from "node:fs";
import { join } from "node:path";
import { waitForRelease } from "../releases/release-wait.ts";
import { waitFor } from "../shared/wait.ts";
import { processStart } from "../testing/rampart-process.ts";
import { APP, DrillPlatform, drillRow, ENV, expectations } from "./drill-platform.ts";
import type { Drill, DrillOptions, DrillResult } from "./drill.types.ts";

/** kill -9 of one instance, then of all but one: no idempotent request fails; each comes back after a backoff. */
async function killInstances(options: DrillOptions): Promise<DrillResult[]> {
  const platform = await DrillPlatform.start({ ...options, instances: 3 });
  try {
    const rows: DrillResult[] = [];
    for (const [label, victims] of [
      ["kill -9 one instance (of 3)", 1],
      ["kill -9 all but one instance (2 of 3)", 2],
    ] as const) {
      const checks = expectations();
      const { expect } = checks;
      const before = await platform.waitHealthy(3);
      const load = platform.load(30_000);
      await waitFor(() => (load.current().ok >= options.rate / 2 ? true : undefined), { timeoutMs: 10_000 });
      const acknowledged = platform.watcher.acknowledged();
      const killed = before.slice(0, victims);
      const killedAt = Date.now();
      for (const victim of killed) process.kill(victim.pid ?? 0, "SIGKILL");
      const after = await waitFor(
        async () => {
          const now = await platform.instances();
          const back = killed.every((v) => now.some((i) => i.id === v.id && i.pid !== v.pid && i.health === "healthy"));
          return back ? now : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 20 },
      );
      const recoveredMs = Date.now() - killedAt;
      // A little traffic on the restarted instances before counting.
      const settled = load.current().sent;
      await waitFor(() => (load.current().sent >= settled + options.rate / 2 ? true : undefined), { timeoutMs: 10_000 });
      const result = await load.stop();
      expect(result.failed === 0, "0 failed requests (GET is retried on another instance)");
      expect(
        after.filter((i) => killed.some((v) => v.id === i.id)).every((i) => i.restarts >= 1),
        "each killed instance restarted",
      );
      const crashes = (await platform.up.client.events({ env: ENV, app: APP, type: "instance.crashed" })).filter(
        (e) => e.id > Math.max(...acknowledged.keys()),
      );
      const backoffs = crashes.map((e) => Number(e.data.restartInMs));
      expect(
        crashes.length === victims && backoffs.every((ms) => ms >= 500),
        `each crash recorded with a backoff of at least 500 ms (got ${backoffs.join(", ")})`,
      );
      const state = await platform.check(acknowledged);
      rows.push(
        drillRow(label, result, recoveredMs, state, checks, [
          `back healthy ${recoveredMs} ms after the kill; restart backoff ${backoffs.join(", ")} ms`,
        ]),
      );
    }
    return rows;
  } finally {
    await platform.cleanup();
  }
}

/**
 * A release that comes up healthy, then is killed 1 s after every start (any app: `timeout -s KILL 1 <run>`):
 * its rollout must end (failed or rolled back) with the stable release's processes untouched and serving.
 */
async function crashLoop(options: DrillOptions): Promise<DrillResult[]> {
  const platform = await DrillPlatform.start(options);
  try {
    const checks = expectations();
    const { expect } = checks;
    const stable = await platform.waitHealthy(2);
    const load = platform.load(60_000);
    await waitFor(() => (load.current().ok >= options.rate / 2 ? true : undefined), { timeoutMs: 10_000 });
    const acknowledged = platform.watcher.acknowledged();
    const run = options.run ?? "node server.mjs";
    platform.project.writeManifest(`    environments:\n      production: { run: ${JSON.stringify(`timeout -s KILL 1 ${run}`)} }`);
    const deployedAt = Date.now();
    const release = await platform.up.client.deploy(ENV, APP);
    let outcome = "";
    try {
      await waitForRelease(platform.up.client, release, 60_000);
      outcome = "went live";
    } catch (error) {
      outcome = error instanceof Error ? (error.message.split("\n")[0] ?? "") : String(error);
    }
    const after = await platform.waitHealthy(2);
    const recoveredMs = Date.now() - deployedAt;
    const result = await load.stop();
    platform.project.writeManifest();
    const final = await platform.up.client.release(ENV, APP, release.number);
    expect(final.status === "failed" || final.status === "rolled_back", `the crash-looping release was stopped (status ${final.status})`);
    expect(
      JSON.stringify(after.map((i) => i.pid)) === JSON.stringify(stable.map((i) => i.pid)),
      "the stable release's processes untouched (same pids)",
    );
    expect(
      after.every((i) => i.release === 1 && i.restarts === 0),
      "only stable instances remain, never restarted",
    );
    expect(result.failed === 0, "0 failed requests");
    // Apps that do not say their release (not JSON with "release") are counted under "?".
    expect(
      Object.keys(result.byRelease).every((r) => r === "1" || r === "?" || r === String(release.number)),
      "only the two releases answered",
    );
    const state = await platform.check(acknowledged);
    return [
      drillRow("crash-looping release during rollout", result, recoveredMs, state, checks, [
        `rollout over ${recoveredMs} ms after the deploy: ${outcome}`,
        `requests by release: ${JSON.stringify(result.byRelease)}`,
      ]),
    ];
  } finally {
    await platform.cleanup();
  }
}

/**
 * kill -9 of an instance's runner (the process between Rampart and the app that writes its log): the app is left
 * with a broken stdout and nobody to report its exit. The supervisor must notice, take it out of traffic, stop it
 * after its in-flight requests and restart it under a new runner, with no failed request; the next rollout works.
 */
async function killRunner(options: DrillOptions): Promise<DrillResult[]> {
  const platform = await DrillPlatform.start(options);
  try {
    const checks = expectations();
    const { expect } = checks;
    const [victim] = await platform.waitHealthy(2);
    if (!victim) throw new Error("no instance");
    const { runnerPid } = JSON.parse(readFileSync(join(platform.project.dataDir, "instances", victim.id, "pid.json"), "utf8")) as {
      runnerPid: number;
    };
    const load = platform.load(60_000);
    await waitFor(() => (load.current().ok >= options.rate / 2 ? true : undefined), { timeoutMs: 10_000 });
    const acknowledged = platform.watcher.acknowledged();
    const killedAt = Date.now();
    process.kill(runnerPid, "SIGKILL");
    // Replaced: a new app process under a new runner, healthy again.
    const replaced = await waitFor(
      async () => {
        const now = (await platform.instances()).find((i) => i.id === victim.id);
        return now !== undefined && now.pid !== victim.pid && now.health === "healthy" ? now : undefined;
      },
      { timeoutMs: 30_000 },
    ).catch(() => undefined);
    const replacedMs = Date.now() - killedAt;
    const after = (await platform.instances()).find((i) => i.id === victim.id);
    const appAlive = after?.pid === victim.pid && processStart(victim.pid ?? 0) !== null;
    const noticed = (await platform.up.client.events({ env: ENV, app: APP, type: "instance." })).filter(
      (e) => e.id > Math.max(...acknowledged.keys()) && e.instance === victim.id,
    );
    expect(replaced !== undefined, `the instance was restarted under a new runner (${after?.health ?? "gone"})`);
    platform.project.touchSource("runner-drill");
    const live = await waitForRelease(platform.up.client, await platform.up.client.deploy(ENV, APP), 60_000).then(
      (r) => r.status,
      (error: unknown) => String(error),
    );
    const recoveredMs = Date.now() - killedAt;
    const result = await load.stop();
    expect(result.failed === 0, "0 failed requests");
    expect(live === "live", `the next deploy replaced it (${live})`);
    const state = await platform.check(acknowledged);
    return [
      drillRow("kill -9 an instance's runner (log pipe)", result, recoveredMs, state, checks, [
        `the app ${appAlive ? "kept running unsupervised (same pid)" : `was replaced in ${replacedMs} ms (${after?.health ?? "gone"})`}; events about it: ${noticed.map((e) => e.type).join(", ") || "none"}`,
        `the next deploy was ${live} ${recoveredMs} ms after the kill`,
      ]),
    ];
  } finally {
    await platform.cleanup();
  }
}

export const instanceDrills: Drill[] = [
  { name: "instance-kill", run: killInstances },
  { name: "crash-loop", run: crashLoop },
  { name: "runner-kill", run: killRunner },
];
