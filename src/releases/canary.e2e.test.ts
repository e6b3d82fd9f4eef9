import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { waitFor } from "../shared/wait.ts";
import { startLoad } from "../testing/load-generator.ts";
import { killPlatform, runCli, startRampartUp, type RampartUp } from "../testing/rampart-process.ts";
import { createTestProject, type TestProject } from "../testing/test-project.ts";
import { waitForRelease } from "./release-wait.ts";

const CANARY = "    release: { strategy: canary, steps: [10, 50, 100], pause: 2s }";

describe("canary releases judged on live traffic through a real `rampart up`", () => {
  let project: TestProject;
  let up: RampartUp;
  const url = () => `http://127.0.0.1:${project.ports.production}/`;

  before(async () => {
    project = await createTestProject({ instances: 2, appYaml: CANARY });
    up = await startRampartUp(project);
    await waitForRelease(up.client, await up.client.deploy("production", "web"), 60_000);
  });
  after(async () => killPlatform(project.dataDir, up));

  it("a canary failing 20% of its requests is rolled back by itself within seconds, with the evidence", async () => {
    project.writeManifest(`${CANARY}\n    environments:\n      production: { env: { TEST_MODE: errors } }`);
    const load = startLoad(url(), { concurrency: 2, maxMs: 60_000 });
    const release = await up.client.deploy("production", "web");
    await assert.rejects(waitForRelease(up.client, release, 45_000), /rolled back: canary analysis failed/);
    const result = await load.stop();
    const rollout = await up.client.rollout("production", "web");
    assert.equal(rollout.outcome, "rolled_back");
    assert.equal(rollout.verdict?.decision, "fail");
    assert.ok(Array.isArray(rollout.verdict?.checks) && rollout.verdict.checks.length > 0, "evidence per guard");
    assert.ok(
      rollout.trafficSince && rollout.rolledBackAt && rollout.rolledBackAt - rollout.trafficSince < 15_000,
      `detected and back in ${(rollout.rolledBackAt ?? 0) - (rollout.trafficSince ?? 0)} ms`,
    );
    assert.ok(result.failed < result.sent * 0.05, `failed ${result.failed} of ${result.sent}: only the canary's share failed`);
    const status = (await up.client.status()).environments.find((e) => e.name === "production")?.apps[0];
    assert.equal(status?.live, 1);
    assert.ok(
      status?.instances.every((i) => i.release === 1),
      "the canary's instances were stopped",
    );
    const events = await up.client.events({ env: "production", type: "rollout.rolled_back" });
    assert.equal(events.at(-1)?.release, release.number);
  });

  it("a canary that answers slower (p99 over 1.5x stable's) is rolled back by the latency guard", async () => {
    project.writeManifest(`${CANARY}\n    environments:\n      production: { env: { TEST_MODE: latency, DELAY_MS: "60" } }`);
    project.touchSource("slow");
    const load = startLoad(url(), { concurrency: 2, maxMs: 60_000 });
    const release = await up.client.deploy("production", "web");
    await assert.rejects(waitForRelease(up.client, release, 45_000), /rolled back: canary analysis failed/);
    const result = await load.stop();
    assert.equal(result.failed, 0, "slow is not failed: no request failed");
    const rollout = await up.client.rollout("production", "web");
    const checks = (rollout.verdict?.checks ?? []) as { metric: string; decision: string }[];
    assert.ok(
      checks.some((c) => c.metric === "p99_latency" && c.decision === "fail"),
      JSON.stringify(checks),
    );
  });

  it("a canary no worse than stable goes through every step and, reaching 100%, becomes live", async () => {
    project.writeManifest(CANARY);
    project.touchSource("good");
    const load = startLoad(url(), { concurrency: 2, maxMs: 60_000 });
    const live = await waitForRelease(up.client, await up.client.deploy("production", "web"), 45_000);
    const result = await load.stop();
    assert.equal(result.failed, 0, result.failures.join("; "));
    assert.equal(live.status, "live");
    const steps = (await up.client.events({ env: "production", type: "rollout.step" })).filter(
      (e) => e.release === live.number && typeof e.data.canaryPercent === "number",
    );
    assert.deepEqual([...new Set(steps.map((e) => e.data.canaryPercent))], [10, 50]);
    assert.ok(
      steps.some((e) => /step 2\/3 passed .*promoting release \d+ to 100%/.test(e.message)),
      "promoted after the last judged step passed",
    );
  });

  it("pause holds a step; promote skips the remaining analysis and is recorded", async () => {
    project.writeManifest("    release: { strategy: canary, steps: [10, 50, 100], pause: 1m }");
    project.touchSource("manual");
    const load = startLoad(url(), { concurrency: 1, maxMs: 60_000 });
    const release = await up.client.deploy("production", "web");
    await waitFor(async () => ((await up.client.rollout("production", "web")).canaryPercent === 10 ? true : undefined), {
      timeoutMs: 30_000,
    });
    assert.equal((await up.client.controlRollout("production", "web", "pause")).paused, true);
    const promoted = await up.client.controlRollout("production", "web", "promote", "looks fine");
    assert.equal(promoted.promotedBy, "local");
    const live = await waitForRelease(up.client, release, 30_000);
    assert.match(live.reason ?? "", /promoted by local, remaining analysis skipped/);
    assert.equal((await load.stop()).failed, 0);
    const kinds = (await up.client.events({ env: "production", app: "web", type: "rollout." }))
      .filter((e) => e.release === release.number)
      .map((e) => e.type);
    assert.ok(kinds.includes("rollout.paused") && kinds.includes("rollout.promoted"));
  });

  it("abort sends traffic back to stable and marks the release rolled back", async () => {
    project.touchSource("to abort");
    const release = await up.client.deploy("production", "web");
    await waitFor(async () => ((await up.client.rollout("production", "web")).canaryPercent === 10 ? true : undefined), {
      timeoutMs: 30_000,
    });
    await up.client.controlRollout("production", "web", "abort", "wrong build");
    await assert.rejects(waitForRelease(up.client, release, 30_000), /aborted by local: wrong build/);
  });

  it("kill -9 of the control plane mid-canary: the rollout goes on from its step, no request fails", async () => {
    project.writeManifest("    release: { strategy: canary, steps: [20, 100], pause: 3s }");
    project.touchSource("durable");
    const load = startLoad(url(), { concurrency: 2, maxMs: 90_000 });
    const release = await up.client.deploy("production", "web");
    await waitFor(async () => ((await up.client.rollout("production", "web")).canaryPercent === 20 ? true : undefined), {
      timeoutMs: 30_000,
    });
    up.process.kill("SIGKILL");
    await up.exited;
    up = await startRampartUp(project);
    const live = await waitForRelease(up.client, release, 60_000);
    const result = await load.stop();
    assert.equal(result.failed, 0, result.failures.join("; "));
    assert.equal(live.status, "live");
    const steps = (await up.client.events({ env: "production", type: "rollout.step" })).filter(
      (e) => e.release === release.number && e.data.state === "shifting",
    );
    const firstEntries = steps.filter((e) => e.message.startsWith("step 1/2: 20%"));
    assert.equal(firstEntries.length, 1, "step 1 was not repeated");
    assert.equal(steps.filter((e) => e.message.includes("promoting release")).length, 1, "promoted once");
  });

  it("a canary step starved of traffic is held, then rolled back after release.hold_timeout; --wait prints each change", async () => {
    project.writeManifest("    release: { strategy: canary, steps: [10, 50, 100], pause: 1s, hold_timeout: 3s }");
    project.touchSource("starved");
    // No load at all: the step can never get a verdict. Through the CLI in a pipe, as CI runs it.
    const wait = runCli(["deploy", "web", "--env", "production", "--wait", "--data", project.dataDir]);
    assert.equal(wait.code, 1, wait.stderr);
    const lines = wait.stderr.split("\n");
    const number = /release (\d+)/.exec(wait.stderr)?.[1];
    assert.ok(
      lines.some((l) => l === `  step 1/3: 10% of traffic on release ${number}`),
      `the step and split, once:\n${wait.stderr}`,
    );
    const holding = lines.filter((l) => /^ {2}step 1\/3 \(10%\): holding: too little traffic to judge/.test(l));
    assert.ok(holding.length >= 1 && holding.length <= 3, `the hold reason, once per change, not per second:\n${wait.stderr}`);
    assert.match(holding[0] ?? "", /canary 0 of the 100 requests needed.*; fails in \ds without a verdict \(release\.hold_timeout 3s\)/);
    assert.match(
      wait.stderr,
      /error: release \d+ was rolled back: step 1\/3 \(10%\) held for 3s without a verdict: too little traffic to judge .*canary 0 of the 100 requests needed.*rampart rollout web --env production promote\|abort/,
    );
    const rollout = await up.client.rollout("production", "web");
    assert.equal(rollout.outcome, "rolled_back");
    assert.equal(
      (await up.client.status()).environments.find((e) => e.name === "production")?.apps[0]?.live,
      rollout.fromRelease,
      "the stable release serves on",
    );

    project.touchSource("starved, quietly");
    const json = runCli(["deploy", "web", "--env", "production", "--wait", "--json", "--data", project.dataDir]);
    assert.equal(json.code, 1);
    assert.equal(JSON.parse(json.stdout).status, "rolled_back", "--json prints the final document");
    assert.doesNotMatch(json.stderr, /^ {2}/m, "and no progress lines");
  });
});
