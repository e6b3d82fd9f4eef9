import { waitForRelease } from "../releases/release-wait.ts";
import { waitFor } from "../shared/wait.ts";
import { processStart } from "../testing/rampart-process.ts";
import { APP, DrillPlatform, drillRow, ENV, expectations } from "./drill-platform.ts";
import type { Drill, DrillOptions, DrillResult } from "./drill.types.ts";

/** kill -9 of `rampart up` while traffic flows; a new `up` re-adopts the same instance and edge processes. */
async function steady(options: DrillOptions): Promise<DrillResult[]> {
  const platform = await DrillPlatform.start(options);
  try {
    const checks = expectations();
    const { expect } = checks;
    const before = await platform.instances();
    const edgePid = (await platform.up.client.status()).edge.pid;
    const load = platform.load(30_000);
    await waitFor(() => (load.current().ok >= options.rate ? true : undefined), { timeoutMs: 10_000 });
    const acknowledged = platform.watcher.acknowledged();
    await platform.killControlPlane();
    // A second of traffic with no control plane at all.
    const whileDown = load.current().ok;
    await waitFor(() => (load.current().ok >= whileDown + options.rate ? true : undefined), { timeoutMs: 10_000 });
    const restartedAt = Date.now();
    await platform.restart();
    const after = await platform.waitHealthy(before.length);
    const recoveredMs = Date.now() - restartedAt;
    const result = await load.stop();
    expect(result.failed === 0, "0 failed requests");
    expect(JSON.stringify(after.map((i) => i.pid)) === JSON.stringify(before.map((i) => i.pid)), "the same instance pids re-adopted");
    expect(
      after.every((i) => processStart(i.pid ?? 0) !== null),
      "instances still running",
    );
    expect((await platform.up.client.status()).edge.pid === edgePid, "the same edge process re-adopted");
    const state = await platform.check(acknowledged);
    return [
      drillRow("kill -9 control plane, steady traffic", result, recoveredMs, state, checks, [
        `1 s with no control plane, then a new one up with ${after.length} instances re-adopted in ${recoveredMs} ms`,
      ]),
    ];
  } finally {
    await platform.cleanup();
  }
}

/** kill -9 in the middle of a rolling deploy: the next `up` resumes the rollout at its step and finishes it. */
async function rolling(options: DrillOptions): Promise<DrillResult[]> {
  const platform = await DrillPlatform.start({ ...options, instances: 3 });
  try {
    const checks = expectations();
    const { expect } = checks;
    const load = platform.load(60_000);
    platform.project.touchSource("rolling-drill");
    const release = await platform.up.client.deploy(ENV, APP);
    await waitFor(
      async () => ((await platform.up.client.release(ENV, APP, release.number)).rollout?.state === "shifting" ? true : undefined),
      { timeoutMs: 30_000, intervalMs: 20 },
    );
    const acknowledged = platform.watcher.acknowledged();
    const killedAt = Date.now();
    await platform.killControlPlane();
    await platform.restart();
    const resumedMs = Date.now() - killedAt;
    const live = await waitForRelease(platform.up.client, release, 60_000);
    const recoveredMs = Date.now() - killedAt;
    const result = await load.stop();
    expect(result.failed === 0, "0 failed requests");
    expect(live.status === "live", "the release went live");
    const instances = await platform.instances();
    expect(instances.length === 3 && instances.every((i) => i.release === release.number), "only the new release's 3 instances remain");
    const recovered = await platform.up.client.events({ type: "rollout.recovered" });
    expect(
      recovered.some((e) => e.release === release.number),
      "rollout.recovered recorded",
    );
    const state = await platform.check(acknowledged);
    return [
      drillRow("kill -9 control plane, rolling deploy", result, recoveredMs, state, checks, [
        `killed at step "shifting"; resumed ${resumedMs} ms later; release ${release.number} live ${recoveredMs} ms after the kill`,
      ]),
    ];
  } finally {
    await platform.cleanup();
  }
}

const CANARY_STEPS = [5, 25, 50, 100];

/** kill -9 at every canary step: each step goes on from its persisted start, none repeated or skipped. */
async function canary(options: DrillOptions): Promise<DrillResult[]> {
  // No guards beyond the defaults: the drill is about durability, not the verdict.
  const appYaml = `    release: { strategy: canary, steps: [${CANARY_STEPS.join(", ")}], pause: 2s }`;
  const platform = await DrillPlatform.start({ ...options, appYaml });
  try {
    const checks = expectations();
    const { expect } = checks;
    const load = platform.load(120_000);
    platform.project.touchSource("canary-drill");
    const release = await platform.up.client.deploy(ENV, APP);
    const acknowledged = new Map<number, string>();
    const recoveries: number[] = [];
    for (const percent of CANARY_STEPS.slice(0, -1)) {
      await waitFor(
        async () => ((await platform.up.client.rollout(ENV, APP).catch(() => undefined))?.canaryPercent === percent ? true : undefined),
        { timeoutMs: 60_000, intervalMs: 20 },
      );
      for (const [id, type] of platform.watcher.acknowledged()) acknowledged.set(id, type);
      const killedAt = Date.now();
      await platform.killControlPlane();
      await platform.restart();
      recoveries.push(Date.now() - killedAt);
    }
    const startedAt = Date.now();
    const live = await waitForRelease(platform.up.client, release, 90_000);
    const result = await load.stop();
    expect(result.failed === 0, "0 failed requests");
    expect(live.status === "live", "the canary went live");
    const steps = (await platform.up.client.events({ env: ENV, type: "rollout.step" })).filter(
      (e) => e.release === release.number && e.data.state === "shifting",
    );
    for (const [k, percent] of CANARY_STEPS.slice(0, -1).entries()) {
      const entered = steps.filter((e) => e.message.startsWith(`step ${k + 1}/${CANARY_STEPS.length}: ${percent}%`)).length;
      expect(entered === 1, `step ${k + 1} (${percent}%) entered once, not ${entered} times`);
    }
    const state = await platform.check(acknowledged);
    return [
      drillRow(
        `kill -9 control plane at each canary step (${CANARY_STEPS.slice(0, -1).join("/")} %)`,
        result,
        Math.max(...recoveries),
        state,
        checks,
        [`back up in ${recoveries.join(" / ")} ms; live ${Date.now() - startedAt} ms after the last restart`],
      ),
    ];
  } finally {
    await platform.cleanup();
  }
}

export const controlPlaneDrills: Drill[] = [
  { name: "control-plane-steady", run: steady },
  { name: "control-plane-rolling", run: rolling },
  { name: "control-plane-canary", run: canary },
];
