import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { waitForRelease } from "../releases/release-wait.ts";
import { waitFor } from "../shared/wait.ts";
import { auditEvents } from "../testing/event-audit.ts";
import { startLoad } from "../testing/load-generator.ts";
import { killPlatform, startRampartUp, type RampartUp } from "../testing/rampart-process.ts";
import { createTestProject, type TestProject } from "../testing/test-project.ts";

const CANARY = "    release: { strategy: canary, steps: [50, 100], pause: 1s }";

/**
 * Every state change is an event, provably: a real `rampart up` with the event audit on (src/db/event-audit.ts)
 * goes through deploys (blue-green first release, rolling, canary), a rollback, a flag change, an instance crash
 * and restart and a control-plane kill -9 and re-adoption; no transaction may write state without an event.
 */
describe("the event audit over a real scenario", () => {
  let project: TestProject;
  let up: RampartUp;
  let audit: ReturnType<typeof auditEvents>;
  const instancesOf = async (env: string) => (await up.client.status()).environments.find((e) => e.name === env)?.apps[0]?.instances ?? [];

  before(async () => {
    project = await createTestProject({ instances: 2 });
    audit = auditEvents(join(project.dir, "event-audit.jsonl"));
    up = await startRampartUp(project);
  });
  after(async () => {
    audit.off();
    await killPlatform(project.dataDir, up);
  });

  it("deploy, rolling, canary, rollback, flag change, crash and restart, control-plane restart: no write without its event", async () => {
    // First release (rolling by default), then a rolling one under way in staging too.
    await waitForRelease(up.client, await up.client.deploy("production", "web"), 60_000);
    project.touchSource("2");
    await waitForRelease(up.client, await up.client.deploy("production", "web"), 60_000);
    await waitForRelease(up.client, await up.client.deploy("staging", "web"), 60_000);

    // A canary under load, judged and promoted.
    project.writeManifest(CANARY);
    project.touchSource("3");
    const load = startLoad(`http://127.0.0.1:${project.ports.production}/`, { concurrency: 2, maxMs: 60_000 });
    await waitForRelease(up.client, await up.client.deploy("production", "web"), 45_000);
    await load.stop();

    // A rollback (a new release pointing at the previous artifact).
    project.writeManifest();
    await waitForRelease(up.client, await up.client.rollback("production", "web"), 60_000);

    // A flag created and changed.
    await up.client.createFlag({ key: "audit-flag" });
    await up.client.setFlag("audit-flag", "staging", { enabled: true });

    // An instance crash and its restart.
    const victim = (await instancesOf("staging"))[0];
    assert.ok(victim?.pid);
    process.kill(victim.pid, "SIGKILL");
    await waitFor(
      async () => {
        const again = (await instancesOf("staging")).find((i) => i.id === victim.id);
        return again && again.health === "healthy" && again.pid !== victim.pid ? true : undefined;
      },
      { timeoutMs: 20_000 },
    );

    // kill -9 of the control plane; a new one re-adopts the edge and the instances.
    up.process.kill("SIGKILL");
    await up.exited;
    up = await startRampartUp(project);
    const adopted = await up.client.events({ type: "instance.adopted" });
    assert.ok(adopted.length > 0, "instances re-adopted");

    const types = new Set((await up.client.events({ limit: 10_000 })).map((e) => e.type));
    for (const type of ["instance.created", "release.deploying", "traffic.changed", "rollout.step", "flag.changed", "instance.restarted"]) {
      assert.ok(types.has(type as never), `the scenario went through ${type}`);
    }
    audit.assertNoViolations();
  });
});
