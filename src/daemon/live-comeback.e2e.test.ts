import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { waitForRelease } from "../releases/release-wait.ts";
import { waitFor } from "../shared/wait.ts";
import { auditEvents } from "../testing/event-audit.ts";
import { killPlatform, livePlatformPids, runCli, startRampartUp, type RampartUp } from "../testing/rampart-process.ts";
import { createTestProject, type TestProject } from "../testing/test-project.ts";

/**
 * What is live comes back by itself: after a simulated reboot (kill -9 of every Rampart process and instance, the
 * data dir intact) and after `rampart down --yes`, a new `rampart up` serves every environment's live release
 * again, with one event per instance started and no write without its event.
 */
describe("live releases come back at rampart up", () => {
  let project: TestProject;
  let up: RampartUp;
  let audit: ReturnType<typeof auditEvents>;
  const live: Record<string, number> = {};

  before(async () => {
    project = await createTestProject({ instances: 2 });
    audit = auditEvents(join(project.dir, "event-audit.jsonl"));
    up = await startRampartUp(project);
    for (const env of ["staging", "production"])
      live[env] = (await waitForRelease(up.client, await up.client.deploy(env, "web"), 60_000)).number;
  });
  after(async () => {
    audit.off();
    await killPlatform(project.dataDir, up);
  });

  /** Milliseconds from `rampart up` being started until every environment answers 200 from its live release. */
  async function upUntilServing(): Promise<number> {
    const startedAt = Date.now();
    up = await startRampartUp(project);
    await waitFor(
      async () => {
        for (const [env, release] of Object.entries(live)) {
          const response = await fetch(`http://127.0.0.1:${project.ports[env]}/`).catch(() => undefined);
          if (response?.status !== 200) return undefined;
          const body = (await response.json()) as { release?: string };
          if (body.release !== String(release)) return undefined;
        }
        return true;
      },
      { timeoutMs: 30_000, intervalMs: 50 },
    );
    return Date.now() - startedAt;
  }

  it("after a reboot (every process killed), rampart up serves every live release again", async () => {
    await killPlatform(project.dataDir, up);
    assert.deepEqual(livePlatformPids(project.dataDir), []);
    const ms = await upUntilServing();
    process.stdout.write(`# reboot → serving: ${ms} ms\n`);
    await allHealthy();
    assert.ok((await up.client.status()).environments.every((e) => e.listening));
    audit.assertNoViolations();
  });

  it("after rampart down --yes, rampart up starts every live release's instances again (one instance.created each)", async () => {
    const createdBefore = (await countEvents("instance.created")).length;
    const result = runCli(["--data", project.dataDir, "down", "--yes"]);
    assert.equal(result.code, 0, result.stderr);
    await up.exited;
    await waitFor(() => (livePlatformPids(project.dataDir).length === 0 ? true : undefined), { timeoutMs: 15_000 });
    const ms = await upUntilServing();
    process.stdout.write(`# down → up → serving: ${ms} ms\n`);
    const created = (await countEvents("instance.created")).slice(createdBefore);
    assert.equal(created.length, 4, "one instance.created per instance (2 environments × 2)");
    await allHealthy();
    for (const env of (await up.client.status()).environments) assert.equal(env.apps[0]?.live, live[env.name]);
    // "already live" is now true: production serves release 1.
    const rollback = runCli(["--data", project.dataDir, "rollback", "web", "--env", "production", "--to", String(live.production)]);
    assert.match(rollback.stderr, /already live/);
    audit.assertNoViolations();
  });

  async function allHealthy(): Promise<void> {
    await waitFor(
      async () =>
        (await up.client.status()).environments.every((e) => e.apps[0]?.instances.filter((i) => i.health === "healthy").length === 2)
          ? true
          : undefined,
      { timeoutMs: 20_000 },
    );
  }

  async function countEvents(type: "instance.created") {
    return (await up.client.events({ type, limit: 10_000 })).toSorted((a, b) => a.id - b.id);
  }
});
