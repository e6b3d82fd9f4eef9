import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ApiError } from "../client/api-client.ts";
import { waitForRelease } from "../releases/release-wait.ts";
import { startLoad } from "../testing/load-generator.ts";
import { killPlatform, startRampartUp, type RampartUp } from "../testing/rampart-process.ts";
import { createTestProject, type TestProject } from "../testing/test-project.ts";
import { waitFor } from "../shared/wait.ts";

describe("instance failures through a real `rampart up`", () => {
  let project: TestProject;
  let up: RampartUp;
  const url = () => `http://127.0.0.1:${project.ports.production}/`;

  before(async () => {
    project = await createTestProject({ instances: 2 });
    up = await startRampartUp(project);
    await waitForRelease(up.client, await up.client.deploy("production", "web"), 60_000);
  });
  after(async () => killPlatform(project.dataDir, up));

  it("kill -9 of an instance under load fails no request; the instance is restarted", async () => {
    const before = (await up.client.status()).environments.find((e) => e.name === "production")?.apps[0]?.instances ?? [];
    const victim = before[0];
    assert.ok(victim?.pid);
    const load = startLoad(url(), { concurrency: 4, maxMs: 60_000 });
    await waitFor(() => (load.current().ok > 50 ? true : undefined), { timeoutMs: 10_000 });
    process.kill(victim.pid, "SIGKILL");
    const restarted = await waitFor(
      async () => {
        const instances = (await up.client.status()).environments.find((e) => e.name === "production")?.apps[0]?.instances ?? [];
        const again = instances.find((i) => i.id === victim.id);
        return again && again.health === "healthy" && again.pid !== victim.pid ? again : undefined;
      },
      { timeoutMs: 20_000 },
    );
    const okBefore = load.current().ok;
    await waitFor(() => (load.current().ok > okBefore + 50 ? true : undefined), { timeoutMs: 10_000 });
    const result = await load.stop();
    assert.equal(result.failed, 0, `failed requests: ${result.failures.join("; ")}`);
    assert.equal(restarted.restarts, 1);
    const events = await up.client.events({ env: "production", app: "web", type: "instance." });
    const crashed = events.find((e) => e.type === "instance.crashed" && e.instance === victim.id);
    assert.match(crashed?.message ?? "", /SIGKILL/);
    assert.ok(events.some((e) => e.type === "instance.restarted" && e.instance === victim.id));
  });

  it("a release that never gets healthy fails with the reason; the old one keeps serving", async () => {
    project.writeManifest("    environments:\n      production: { env: { TEST_MODE: unhealthy }, health: { start_timeout: 2s } }");
    const load = startLoad(url(), { concurrency: 2, maxMs: 60_000 });
    const release = await up.client.deploy("production", "web");
    const printed: string[] = [];
    await assert.rejects(
      waitForRelease(up.client, release, 30_000, (line) => printed.push(line)),
      /did not become healthy within 2000 ms.*last check: GET \/healthz → 500 Internal Server Error/s,
    );
    assert.ok(
      printed.some((line) => line.includes(`r${release.number}.1: starting (last check: GET /healthz → 500 Internal Server Error)`)),
      `--wait says what the check got while it waits:\n${printed.join("\n")}`,
    );
    const failed = await up.client.release("production", "web", release.number);
    assert.equal(failed.status, "failed");
    assert.match(failed.reason ?? "", /listening on/, "the reason shows the instance's last output");
    const result = await load.stop();
    assert.equal(result.failed, 0, `failed requests: ${result.failures.join("; ")}`);
    assert.deepEqual(Object.keys(result.byRelease), ["1"], "only the stable release served");
    const web = (await up.client.status()).environments.find((e) => e.name === "production")?.apps[0];
    assert.equal(web?.live, 1);
    assert.ok(
      web?.instances.every((i) => i.release === 1),
      "the failed release's instances were stopped",
    );
  });

  it("a release that crashes on start is a crash loop, reported, and fails", async () => {
    // start_timeout well above the crash loop's ~8 s of backoff: on a loaded machine 15 s ran out first.
    project.writeManifest("    environments:\n      production: { env: { TEST_MODE: crash }, health: { start_timeout: 90s } }");
    const release = await up.client.deploy("production", "web");
    await assert.rejects(waitForRelease(up.client, release, 90_000), /keeps crashing \(exit code 3\).*boom: crashing on start/s);
    const events = await up.client.events({ env: "production", app: "web", type: "instance.crash_loop" });
    assert.ok(events.some((e) => e.release === release.number));
    assert.equal((await up.client.status()).environments.find((e) => e.name === "production")?.apps[0]?.live, 1);
  });

  it("a crash on start names the first error line of its output, not only the stack's last lines", async () => {
    project.writeManifest("    environments:\n      production: { env: { TEST_MODE: missing-config }, health: { start_timeout: 90s } }");
    const release = await up.client.deploy("production", "web");
    await assert.rejects(
      waitForRelease(up.client, release, 90_000),
      /keeps crashing \(exit code 1\); first error: Error: Cannot find module '\.\/config\.json'; its last output:\n/,
    );
  });

  it("with release.settle, a release that crashes a while after going healthy fails; the old one serves on, nothing fails", async () => {
    project.writeManifest(
      '    release: { settle: 8s }\n    environments:\n      production: { env: { TEST_MODE: crash-later, CRASH_AFTER_MS: "3000" } }',
    );
    const load = startLoad(url(), { concurrency: 2, maxMs: 60_000 });
    const release = await up.client.deploy("production", "web");
    await assert.rejects(waitForRelease(up.client, release, 60_000), /crash/);
    const result = await load.stop();
    assert.equal(result.failed, 0, `failed requests: ${result.failures.join("; ")}`);
    const web = (await up.client.status()).environments.find((e) => e.name === "production")?.apps[0];
    assert.notEqual(web?.live, release.number);
    assert.ok(
      web?.instances.every((i) => i.release !== release.number && i.health === "healthy"),
      "the old release serves, healthy",
    );
  });

  it("refuses a second deploy while a rollout is in progress", async () => {
    project.writeManifest();
    project.touchSource("busy");
    const first = await up.client.deploy("production", "web");
    await assert.rejects(
      up.client.deploy("production", "web"),
      (error: unknown) => error instanceof ApiError && error.status === 409 && error.code === "rollout_in_progress",
    );
    await waitForRelease(up.client, first, 60_000);
  });
});
