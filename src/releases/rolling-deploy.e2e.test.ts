import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { after, before, describe, it } from "node:test";
import { startLoad } from "../testing/load-generator.ts";
import { killPlatform, startRampartUp, type RampartUp } from "../testing/rampart-process.ts";
import { createTestProject, type TestProject } from "../testing/test-project.ts";
import { waitForRelease } from "./release-wait.ts";

describe("rolling deploy and rollback through a real `rampart up`", () => {
  let project: TestProject;
  let up: RampartUp;

  before(async () => {
    project = await createTestProject({ instances: 2 });
    const git = (...args: string[]) =>
      execFileSync("git", ["-c", "user.email=t@example.com", "-c", "user.name=t", ...args], { cwd: project.dir });
    git("init", "-q");
    git("add", ".");
    git("commit", "-qm", "first");
    up = await startRampartUp(project);
  });
  after(async () => killPlatform(project.dataDir, up));

  it("deploys to both environments; status shows live release and instances with pid, port, release, health", async () => {
    for (const env of ["staging", "production"]) {
      const release = await up.client.deploy(env, "web");
      assert.equal(release.number, 1);
      assert.equal(release.status, "pending");
      assert.match(release.git?.commit ?? "", /^[0-9a-f]{40}$/, "a git checkout's commit is recorded");
      assert.equal(release.git?.dirty, false);
      const live = await waitForRelease(up.client, release, 60_000);
      assert.equal(live.status, "live");
    }
    const status = await up.client.status();
    const production = status.environments.find((e) => e.name === "production");
    const web = production?.apps.find((a) => a.name === "web");
    assert.equal(web?.live, 1);
    assert.equal(web?.instances.length, 2);
    for (const instance of web?.instances ?? []) {
      assert.ok(instance.pid && instance.pid > 0);
      assert.ok(instance.port > 0);
      assert.equal(instance.release, 1);
      assert.equal(instance.health, "healthy");
    }
    const response = await fetch(`http://127.0.0.1:${project.ports.production}/hello`);
    assert.equal(response.status, 200);
    assert.equal(((await response.json()) as { release: string }).release, "1");
  });

  it("a redeploy of changed source and a rollback under steady load fail no request", async () => {
    const load = startLoad(`http://127.0.0.1:${project.ports.production}/`, { concurrency: 4, maxMs: 90_000 });
    project.touchSource("2");
    const second = await waitForRelease(up.client, await up.client.deploy("production", "web"), 60_000);
    assert.equal(second.number, 2);
    assert.notEqual(second.artifact, (await up.client.release("production", "web", 1)).artifact, "changed source is a new artifact");
    const back = await waitForRelease(up.client, await up.client.rollback("production", "web"), 60_000);
    const result = await load.stop();
    assert.equal(result.failed, 0, `failed requests: ${result.failures.join("; ")}`);
    assert.ok(result.ok > 100, `load generator got ${result.ok} answers`);
    assert.ok(result.byRelease["2"] && result.byRelease["3"], `traffic reached both new releases: ${JSON.stringify(result.byRelease)}`);

    assert.equal(back.number, 3);
    assert.equal(back.rollbackOf, 1);
    assert.equal(back.artifact, (await up.client.release("production", "web", 1)).artifact, "rollback reuses the old artifact");
    const releases = await up.client.releases("production", "web");
    assert.deepEqual(
      releases.map((r) => [r.number, r.status]),
      [
        [3, "live"],
        [2, "rolled_back"],
        [1, "superseded"],
      ],
    );
    const status = await up.client.status();
    const web = status.environments.find((e) => e.name === "production")?.apps.find((a) => a.name === "web");
    assert.deepEqual(
      web?.instances.map((i) => i.release),
      [3, 3],
      "old instances were drained and stopped",
    );
  });

  it("records every step in the event log", async () => {
    const events = await up.client.events({ env: "production", app: "web", limit: 1000 });
    const types = new Set(events.map((e) => e.type));
    for (const type of [
      "release.created",
      "rollout.started",
      "instance.started",
      "instance.healthy",
      "rollout.step",
      "release.live",
      "release.superseded",
      "release.rolled_back",
      "instance.draining",
      "instance.stopped",
      "rollout.completed",
    ]) {
      assert.ok(types.has(type as never), `missing ${type}`);
    }
    const ids = events.map((e) => e.id);
    assert.deepEqual(
      ids,
      [...ids].sort((a, b) => a - b),
      "events come in append order",
    );
  });

  it("serves each release's output in the logs", async () => {
    const lines = await up.client.logs("production", "web", { grep: "listening on" });
    assert.ok(lines.some((l) => l.labels.release === "3"));
    assert.ok(lines.every((l) => l.time > 0 && l.labels.instance?.startsWith("production.web.r")));
  });
});
