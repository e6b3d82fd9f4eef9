import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { waitForRelease } from "../releases/release-wait.ts";
import { waitFor } from "../shared/wait.ts";
import { startLoad } from "../testing/load-generator.ts";
import { killPlatform, processStart, startRampartUp, type RampartUp } from "../testing/rampart-process.ts";
import { createTestProject, type TestProject } from "../testing/test-project.ts";

describe("kill -9 of the control plane", () => {
  let project: TestProject;
  let up: RampartUp;

  before(async () => {
    project = await createTestProject({ instances: 2 });
    up = await startRampartUp(project);
    await waitForRelease(up.client, await up.client.deploy("production", "web"), 60_000);
  });
  after(async () => killPlatform(project.dataDir, up));

  const instancesOf = async (client: RampartUp["client"]) =>
    (await client.status()).environments.find((e) => e.name === "production")?.apps.find((a) => a.name === "web")?.instances ?? [];

  it("under load fails no request; a new `rampart up` re-adopts the same instance and edge processes", async () => {
    const before = await instancesOf(up.client);
    const edgePid = (await up.client.status()).edge.pid;
    const starts = new Map(before.map((i) => [i.pid, processStart(i.pid ?? 0)]));
    const load = startLoad(`http://127.0.0.1:${project.ports.production}/`, { concurrency: 4, maxMs: 60_000 });
    await waitFor(() => (load.current().ok > 50 ? true : undefined), { timeoutMs: 10_000 });

    up.process.kill("SIGKILL");
    await up.exited;
    const whileDown = load.current().ok;
    await waitFor(() => (load.current().ok > whileDown + 200 ? true : undefined), { timeoutMs: 10_000 });

    up = await startRampartUp(project);
    const after = await instancesOf(up.client);
    const result = await load.stop();
    assert.equal(result.failed, 0, `failed requests: ${result.failures.join("; ")}`);
    assert.deepEqual(
      after.map((i) => i.pid),
      before.map((i) => i.pid),
      "same pids",
    );
    for (const instance of after) assert.equal(processStart(instance.pid ?? 0), starts.get(instance.pid), "same processes (start time)");
    assert.equal((await up.client.status()).edge.pid, edgePid, "same edge process");
    const adopted = await up.client.events({ type: "instance.adopted" });
    assert.equal(adopted.length, 2);
    assert.equal((await up.client.events({ type: "edge.adopted" })).length, 1);
  });

  it("in the middle of a rolling deploy: the new control plane finishes the rollout, no request fails", async () => {
    const load = startLoad(`http://127.0.0.1:${project.ports.production}/`, { concurrency: 4, maxMs: 90_000 });
    project.touchSource("mid-rollout");
    const release = await up.client.deploy("production", "web");
    // Kill as soon as traffic has started to move (step 1 of 2).
    await waitFor(
      async () => ((await up.client.release("production", "web", release.number)).rollout?.state === "shifting" ? true : undefined),
      { timeoutMs: 30_000, intervalMs: 20 },
    );
    up.process.kill("SIGKILL");
    await up.exited;
    up = await startRampartUp(project);
    const live = await waitForRelease(up.client, release, 60_000);
    const result = await load.stop();
    assert.equal(result.failed, 0, `failed requests: ${result.failures.join("; ")}`);
    assert.equal(live.status, "live");
    const instances = await instancesOf(up.client);
    assert.deepEqual(
      instances.map((i) => i.release),
      [release.number, release.number],
    );
    const resumed = await up.client.events({ type: "rollout.recovered" });
    assert.ok(resumed.some((e) => e.release === release.number));
  });

  it("SIGTERM stops the control plane with exit 0 and leaves the apps serving", async () => {
    const pids = (await instancesOf(up.client)).map((i) => i.pid);
    up.process.kill("SIGTERM");
    assert.equal(await up.exited, 0);
    const response = await fetch(`http://127.0.0.1:${project.ports.production}/`);
    assert.equal(response.status, 200);
    up = await startRampartUp(project);
    assert.deepEqual(
      (await instancesOf(up.client)).map((i) => i.pid),
      pids,
    );
  });
});
