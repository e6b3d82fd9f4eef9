import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ApiError } from "../client/api-client.ts";
import { startLoad } from "../testing/load-generator.ts";
import { killPlatform, startRampartUp, type RampartUp } from "../testing/rampart-process.ts";
import { createTestProject, type TestProject } from "../testing/test-project.ts";
import { waitForRelease } from "./release-wait.ts";

describe("blue-green, instant rollback and promotion through a real `rampart up`", () => {
  let project: TestProject;
  let up: RampartUp;
  const web = async (env: string) =>
    (await up.client.status()).environments.find((e) => e.name === env)?.apps.find((a) => a.name === "web");

  before(async () => {
    project = await createTestProject({ instances: 2, appYaml: "    release: { strategy: blue-green, keep_warm: 2m }" });
    up = await startRampartUp(project);
  });
  after(async () => killPlatform(project.dataDir, up));

  it("promotion refuses what is not live in staging, then deploys staging's very artifact to production", async () => {
    await assert.rejects(
      up.client.promote("web", { from: "staging", to: "production" }),
      (e: unknown) => e instanceof ApiError && e.code === "nothing_to_promote",
    );
    const staged = await waitForRelease(up.client, await up.client.deploy("staging", "web"), 60_000);
    project.touchSource("changed after staging");
    const promoted = await waitForRelease(up.client, await up.client.promote("web", { from: "staging", to: "production" }), 60_000);
    assert.equal(promoted.artifact, staged.artifact, "the very artifact staging runs, not the changed source");
    assert.equal(promoted.config.instances, 2, "production's config");
    assert.equal(promoted.strategy, "blue-green", "production's release policy");
    const events = await up.client.events({ type: "release.promoted" });
    assert.match(events[0]?.message ?? "", /staging release 1 promoted to production/);
  });

  it("switches all traffic at once under load, keeps the old release warm, and rolls back to it instantly", async () => {
    const load = startLoad(`http://127.0.0.1:${project.ports.production}/`, { concurrency: 4, maxMs: 60_000 });
    const second = await waitForRelease(up.client, await up.client.deploy("production", "web"), 60_000);
    const rollout = await up.client.rollout("production", "web");
    assert.equal(rollout.state, "warm");
    const warm = (await web("production"))?.instances.filter((i) => i.release === 1) ?? [];
    assert.equal(warm.length, 2, "release 1 still runs");
    assert.ok(warm.every((i) => !i.routable && i.health === "healthy"));

    const started = Date.now();
    const back = await up.client.rollback("production", "web");
    const switchedIn = Date.now() - started;
    assert.equal(back.number, 1, "the warm release itself is live again");
    assert.equal(back.status, "live");
    assert.ok(switchedIn < 1_000, `instant switch took ${switchedIn} ms`);
    const result = await load.stop();
    assert.equal(result.failed, 0, `failed requests: ${result.failures.join("; ")}`);
    assert.equal((await up.client.release("production", "web", second.number)).status, "rolled_back");
    const answer = (await (await fetch(`http://127.0.0.1:${project.ports.production}/`)).json()) as { release: string };
    assert.equal(answer.release, "1");
  });
});
