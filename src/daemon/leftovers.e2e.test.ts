import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import { waitForRelease } from "../releases/release-wait.ts";
import { isSameProcess } from "../runtime/process-info.ts";
import { waitFor } from "../shared/wait.ts";
import { killPlatform, processStart, runCli, startRampartUp, type RampartUp } from "../testing/rampart-process.ts";
import { createTestProject, type TestProject } from "../testing/test-project.ts";

const CLI = fileURLToPath(new URL("../cli/main.ts", import.meta.url));

/** An environment removed from rampart.yaml: `up` lists what still runs for it, `status` shows it, `up --yes` stops it. */
describe("environments removed from rampart.yaml, at rampart up", () => {
  let project: TestProject;
  let up: RampartUp;
  const upWith = (...extra: string[]) =>
    startRampartUp({
      ...project,
      command: {
        argv: [process.execPath, CLI, "up", "--config", project.manifestPath, "--data", project.dataDir, "--api", "127.0.0.1:0", ...extra],
        cwd: null,
      },
    });

  before(async () => {
    project = await createTestProject({ instances: 1 });
    up = await startRampartUp(project);
    for (const env of ["staging", "production"]) await waitForRelease(up.client, await up.client.deploy(env, "web"), 60_000);
  });
  after(async () => killPlatform(project.dataDir, up));

  it("are listed with their instances, kept without --yes (status shows them), drained and stopped with --yes", async () => {
    const staging = (await up.client.status()).environments.find((e) => e.name === "staging")?.apps[0]?.instances[0];
    assert.ok(staging?.pid);
    const start = processStart(staging.pid);
    up.process.kill("SIGTERM");
    await up.exited;
    writeFileSync(
      project.manifestPath,
      readFileSync(project.manifestPath, "utf8")
        .split("\n")
        .filter((l) => !l.startsWith("  staging:"))
        .join("\n"),
    );

    up = await upWith();
    await waitFor(() => (/no longer in rampart\.yaml/.test(up.output()) ? true : undefined), { timeoutMs: 10_000 });
    assert.match(
      up.output(),
      /web in staging \(environment staging is not in rampart\.yaml\): 1 instance\(s\) running: staging\.web\.r1\.1/,
    );
    assert.match(up.output(), /They keep running .*rampart up --yes/);
    const status = await up.client.status();
    assert.deepEqual(
      status.leftovers.map((l) => [l.env, l.app, l.removed, l.instances.map((i) => i.id)]),
      [["staging", "web", "environment", ["staging.web.r1.1"]]],
    );
    assert.match(
      runCli(["--data", project.dataDir, "status"]).stdout,
      /no longer in rampart\.yaml[\s\S]*web in staging \(environment removed\)/,
    );
    assert.ok(isSameProcess(staging.pid, start ?? ""), "still running without --yes");

    up.process.kill("SIGTERM");
    await up.exited;
    up = await upWith("--yes");
    await waitFor(() => (/stopped 1 instance\(s\): staging\.web\.r1\.1/.test(up.output()) ? true : undefined), { timeoutMs: 20_000 });
    assert.equal(isSameProcess(staging.pid, start ?? ""), false, "stopped with --yes");
    assert.deepEqual((await up.client.status()).leftovers, []);
    const events = await up.client.events({ env: "staging" });
    assert.ok(events.some((e) => e.type === "environment.stopping" && /not in rampart\.yaml/.test(e.message)));
    assert.ok(events.some((e) => e.type === "instance.stopped" && e.instance === "staging.web.r1.1"));
    // Production was not touched.
    assert.equal((await fetch(`http://127.0.0.1:${project.ports.production}/`)).status, 200);
  });
});
