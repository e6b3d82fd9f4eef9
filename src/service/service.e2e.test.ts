import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { waitForRelease } from "../releases/release-wait.ts";
import { waitFor } from "../shared/wait.ts";
import { freePort } from "../testing/free-port.ts";
import { killPlatform, type RampartUp, runCli } from "../testing/rampart-process.ts";
import { startSteadyLoad } from "../testing/steady-load.ts";
import { createTestProject, type TestProject } from "../testing/test-project.ts";
import { appliedNofileLimit, restartService, startService, stopService } from "./systemd-emulation.fixture.ts";
import { parseUnit } from "./systemd-unit.ts";

const get = async (url: string) => {
  const response = await fetch(url);
  return { status: response.status, release: response.headers.get("x-test-release") ?? (await response.text()) };
};

describe("rampart service install", () => {
  let project: TestProject | undefined;
  let up: RampartUp | undefined;
  after(async () => {
    if (project) await killPlatform(project.dataDir, up);
  });

  it("writes a unit whose ExecStart runs the platform, and whose KillMode keeps the apps serving across a systemctl restart under load", async () => {
    project = await createTestProject({ instances: 1 });
    const api = `127.0.0.1:${await freePort()}`;
    const unitDir = join(project.dir, "units");
    const installed = runCli(
      ["service", "install", "--config", project.manifestPath, "--data", project.dataDir, "--api", api, "--unit-dir", unitDir],
      { cwd: project.dir },
    );
    assert.equal(installed.code, 0, installed.stderr);
    assert.match(installed.stdout, /KillMode=process/);
    assert.match(installed.stdout, /systemctl daemon-reload && systemctl enable --now rampart/);
    const unit = parseUnit(readFileSync(join(unitDir, "rampart.service"), "utf8"));
    assert.equal(unit.killMode, "process");
    assert.match(unit.execStart[0] ?? "", /\/bin\/rampart$/);
    assert.deepEqual(unit.execStart.slice(1), ["up", "--config", project.manifestPath, "--data", project.dataDir, "--api", api]);

    assert.equal(unit.timeoutStopSec, 30);
    assert.equal(unit.restart, "on-failure");

    // systemd is not PID 1 here: the unit's ExecStart runs as systemd would run it (its environment, user,
    // working directory and LimitNOFILE), and stop/restart signal the main process alone (KillMode=process).
    let service = await startService(unit, project);
    up = service.up;
    assert.equal(unit.limitNofile, 65536);
    assert.equal(readFileSync(`/proc/${up.pid}/limits`, "utf8").match(/Max open files\s+(\d+)/)?.[1], String(appliedNofileLimit(unit)));
    await waitForRelease(up.client, await up.client.deploy("staging", "web"), 60_000);
    const edge = `http://127.0.0.1:${project.ports.staging}/`;
    assert.equal((await get(edge)).status, 200);
    const instancePids = (await up.client.status()).environments.find((e) => e.name === "staging")?.apps[0]?.instances.map((i) => i.pid);

    // `systemctl restart` under steady traffic: no request may fail while the control plane is down and comes back.
    const load = startSteadyLoad(edge, { ratePerSecond: 50, maxMs: 120_000 });
    await waitFor(() => (load.current().ok >= 25 ? true : undefined), { timeoutMs: 20_000 });
    const restarted = await restartService(service, project);
    assert.equal(restarted.stopped.code, 0, "a stopped service exits cleanly, within TimeoutStopSec");
    assert.equal(restarted.stopped.killedAfterTimeout, false);
    service = restarted.service;
    up = service.up;
    const after = await waitFor(
      async () => {
        const apps = (await up?.client.status())?.environments.find((e) => e.name === "staging")?.apps[0];
        return apps?.instances.every((i) => i.health === "healthy") ? apps.instances.map((i) => i.pid) : undefined;
      },
      { timeoutMs: 20_000 },
    );
    const sentAtRestart = load.current().sent;
    await waitFor(() => (load.current().sent >= sentAtRestart + 25 ? true : undefined), { timeoutMs: 20_000 });
    const traffic = await load.stop();
    process.stdout.write(
      `# systemctl restart under load: ${traffic.sent} requests, ${traffic.ok} ok, ${traffic.failed} failed, p99 ${traffic.p99Ms} ms, max ${traffic.maxMs} ms; stop took ${restarted.stoppedInMs} ms\n`,
    );
    assert.equal(traffic.failed, 0, `failed requests across the restart: ${JSON.stringify(traffic.failureKinds)}`);
    assert.ok(traffic.ok >= 50, `too little traffic to judge: ${JSON.stringify(traffic)}`);
    assert.deepEqual(after, instancePids, "the restarted service re-adopts the same instances");

    // `systemctl stop`: the apps keep serving without the control plane.
    assert.equal((await stopService(service)).code, 0);
    assert.equal((await get(edge)).status, 200, "the app serves while the service is stopped");
    up = undefined;
  });

  it("refuses a missing manifest with a hint, and uninstall removes the unit", () => {
    const missing = runCli(["service", "install", "--config", "/nonexistent/rampart.yaml", "--unit-dir", "/tmp"]);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /does not exist/);
    assert.match(missing.stderr, /hint: .*rampart init/);
    const dir = project?.dir ?? "/tmp";
    const removed = runCli(["service", "uninstall", "--unit-dir", join(dir, "units")]);
    assert.equal(removed.code, 0, removed.stderr);
    assert.match(removed.stdout, /removed .*rampart\.service/);
    const again = runCli(["service", "uninstall", "--unit-dir", join(dir, "units")]);
    assert.notEqual(again.code, 0);
  });
});
