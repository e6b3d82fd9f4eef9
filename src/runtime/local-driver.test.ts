import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { probeHealth } from "./health-probe.ts";
import { LocalDriver, waitUntilGone } from "./local-driver.ts";
import type { InstanceProcess, InstanceSpec } from "./local-driver.ts";
import { readLogLines } from "./log-reader.ts";
import { allocatePort } from "./port-allocator.ts";
import { isAlive, isSameProcess, readProcessStartTime } from "./process-info.ts";
import { waitFor, writeTestApp } from "./runtime.fixture.ts";

const LOG_LINE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (out|err) /;

describe("LocalDriver", () => {
  const driver = new LocalDriver();
  const started: InstanceProcess[] = [];
  const strayPids: number[] = [];
  let dir = "";
  let command = "";
  let counter = 0;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "rampart-driver-"));
    command = writeTestApp(dir);
  });

  after(() => {
    for (const p of started) {
      for (const [pid, start] of [
        [p.pid, p.pidStart],
        [p.runnerPid, p.runnerStart],
      ] as const) {
        if (isSameProcess(pid, start)) process.kill(pid, "SIGKILL");
      }
    }
    for (const pid of strayPids) if (isAlive(pid)) process.kill(pid, "SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  });

  async function startApp(env: Record<string, string> = {}, extra: Partial<InstanceSpec> = {}) {
    const id = `web-${++counter}`;
    const port = await allocatePort();
    const spec: InstanceSpec = {
      id,
      cwd: dir,
      command,
      env: { PORT: String(port), ...env },
      logPath: join(dir, "logs", `${id}.log`),
      stateDir: join(dir, "state", id),
      ...extra,
    };
    const p = await driver.start(spec);
    started.push(p);
    await waitFor("the app to answer", async () => (await probeHealth({ host: "127.0.0.1", port, path: "/", timeoutMs: 500 })).ok);
    return { spec, p, port };
  }

  const logText = (spec: InstanceSpec): string => (existsSync(spec.logPath) ? readFileSync(spec.logPath, "utf8") : "");

  it("starts the app behind a detached runner that reports pid and start times", async () => {
    process.env.RAMPART_TEST_SECRET = "must-not-leak";
    const { spec, p, port } = await startApp({ FOO: "bar" });
    delete process.env.RAMPART_TEST_SECRET;

    const pidFile = JSON.parse(readFileSync(join(spec.stateDir, "pid.json"), "utf8")) as Record<string, unknown>;
    assert.deepEqual(pidFile, { pid: p.pid, pidStart: p.pidStart, runnerPid: p.runnerPid, runnerStart: p.runnerStart });
    assert.equal(readProcessStartTime(p.pid), p.pidStart);
    assert.ok(driver.isRunning(p));
    // `exec` makes the app itself hold the pid, not a shell around it.
    assert.match(readFileSync(`/proc/${p.pid}/cmdline`, "utf8"), /app\.mjs/);
    // The runner leads its own session, so a terminal's signals to the control plane miss it.
    const sessionId = readFileSync(`/proc/${p.runnerPid}/stat`, "utf8").split(") ")[1]?.split(" ")[3];
    assert.equal(sessionId, String(p.runnerPid));
    // spec file holds env secrets: owner-only.
    assert.equal(statSync(join(spec.stateDir, "runner-spec.json")).mode & 0o777, 0o600);

    const env = JSON.parse(await get(port, "/env")) as Record<string, string>;
    assert.equal(env.FOO, "bar");
    assert.equal(env.PORT, String(port));
    assert.equal(env.PATH, process.env.PATH);
    assert.equal(env.RAMPART_TEST_SECRET, undefined);

    await get(port, "/hello");
    const lines = await waitFor("request log line", () => {
      const text = logText(spec);
      return text.includes("out request GET /hello") && text.includes("err ready without newline") ? text : null;
    });
    for (const line of lines.trimEnd().split("\n")) assert.match(line, LOG_LINE);
    assert.match(lines, new RegExp(`Z out listening on ${port}\n`));

    const stopped = await driver.stop(p, { graceMs: 5000 });
    assert.deepEqual({ code: stopped?.code, signal: stopped?.signal }, { code: 0, signal: null });
    assert.match(logText(spec), /out got SIGTERM, shutting down/);
    assert.ok(!isSameProcess(p.runnerPid, p.runnerStart));
  });

  it("records a kill -9 of the app in the exit file, and the runner exits", async () => {
    const { spec, p } = await startApp();
    process.kill(p.pid, "SIGKILL");
    const exit = await waitFor("exit file", () => driver.exitStatus(spec));
    assert.equal(exit.signal, "SIGKILL");
    assert.equal(exit.code, null);
    assert.ok(await waitUntilGone(p.runnerPid, p.runnerStart, 5000));
    assert.equal(driver.isRunning(p), false);
  });

  it("records a crash with its exit code", async () => {
    const { spec, port } = await startApp();
    await get(port, "/crash");
    const exit = await waitFor("exit file", () => driver.exitStatus(spec));
    assert.deepEqual({ code: exit.code, signal: exit.signal }, { code: 3, signal: null });
    // The partial "ready without newline" may still be pending and is continued by this line.
    assert.match(logText(spec), /Z err .*crashing on request\n/);
  });

  it("forwards SIGTERM sent to the runner to the app", async () => {
    const { spec, p } = await startApp();
    process.kill(p.runnerPid, "SIGTERM");
    const exit = await waitFor("exit file", () => driver.exitStatus(spec));
    assert.deepEqual({ code: exit.code, signal: exit.signal }, { code: 0, signal: null });
    assert.match(logText(spec), /out got SIGTERM, shutting down/);
    assert.ok(await waitUntilGone(p.runnerPid, p.runnerStart, 5000));
  });

  it("SIGKILLs an app that ignores SIGTERM once the grace period is over", async () => {
    const { spec, p } = await startApp({ IGNORE_TERM: "1" });
    const began = Date.now();
    const exit = await driver.stop(p, { graceMs: 300 });
    assert.ok(Date.now() - began >= 300);
    assert.equal(exit?.signal, "SIGKILL");
    assert.match(logText(spec), /out ignoring SIGTERM/);
    assert.ok(!isSameProcess(p.pid, p.pidStart) && !isSameProcess(p.runnerPid, p.runnerStart));
  });

  it("never signals a pid whose start time does not match (recycled pid)", async () => {
    const { p } = await startApp();
    const impostor: InstanceProcess = {
      ...p,
      pidStart: String(Number(p.pidStart) + 1),
      runnerStart: String(Number(p.runnerStart) + 1),
    };
    assert.equal(isSameProcess(p.pid, impostor.pidStart), false);
    assert.equal(driver.isRunning(impostor), false);
    driver.signal(impostor, "SIGKILL");
    assert.equal(await driver.stop({ ...impostor, stateDir: undefined }, { graceMs: 100 }), null);
    assert.ok(driver.isRunning(p), "the real process must be untouched");
    assert.ok(isSameProcess(p.runnerPid, p.runnerStart), "the real runner must be untouched");
    await driver.stop(p, { graceMs: 5000 });
  });

  it("keeps the instance running when the process that started it is killed", async () => {
    const port = await allocatePort();
    const spec: InstanceSpec = {
      id: "orphan",
      cwd: dir,
      command,
      env: { PORT: String(port) },
      logPath: join(dir, "logs", "orphan.log"),
      stateDir: join(dir, "state", "orphan"),
    };
    const driverUrl = new URL("./local-driver.ts", import.meta.url).href;
    const script = `
      const { LocalDriver } = await import(${JSON.stringify(driverUrl)});
      const p = await new LocalDriver().start(${JSON.stringify(spec)});
      process.stdout.write(JSON.stringify(p) + "\\n");
      setInterval(() => {}, 60_000);
    `;
    const controlPlane = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "inherit"] });
    assert.ok(controlPlane.pid !== undefined);
    strayPids.push(controlPlane.pid);
    let out = "";
    controlPlane.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
    const p = await waitFor("the control plane to report the instance", () =>
      out.includes("\n") ? (JSON.parse(out.split("\n")[0] ?? "") as InstanceProcess) : null,
    );
    started.push(p);
    const controlPlaneGone = new Promise((resolve) => controlPlane.on("exit", resolve));
    controlPlane.kill("SIGKILL");
    await controlPlaneGone;

    assert.ok(isSameProcess(p.pid, p.pidStart));
    assert.ok(isSameProcess(p.runnerPid, p.runnerStart));
    await waitFor("the orphaned app to serve", async () => (await probeHealth({ host: "127.0.0.1", port, path: "/", timeoutMs: 500 })).ok);
    await get(port, "/after-parent-death");
    await waitFor("logging to continue", () => readFileSync(spec.logPath, "utf8").includes("out request GET /after-parent-death"));

    const exit = await driver.stop(p, { graceMs: 5000 });
    assert.equal(exit?.code, 0);
  });

  it("rotates the log at its size limit and the reader sees both files", async () => {
    const { spec, p, port } = await startApp({}, { logMaxBytes: 150 * 1024 });
    await get(port, "/burst");
    await waitFor("the burst to be logged", () => logText(spec).includes("burst 199"));
    assert.ok(statSync(`${spec.logPath}.1`).size <= 150 * 1024);
    const lines = readLogLines({ files: [{ path: spec.logPath, labels: { instance: spec.id } }], grep: "burst ", limit: 1000 });
    assert.deepEqual(
      lines.map((l) => l.text.slice(0, 9)),
      Array.from({ length: 200 }, (_, i) => `burst ${String(i).padStart(3, "0")}`),
    );
    await driver.stop(p, { graceMs: 5000 });
  });

  it("fails start() with a clear error when the app cannot be spawned", async () => {
    const spec: InstanceSpec = {
      id: "broken",
      cwd: join(dir, "does-not-exist"),
      command,
      env: {},
      logPath: join(dir, "logs", "broken.log"),
      stateDir: join(dir, "state", "broken"),
    };
    await assert.rejects(driver.start(spec), /instance broken failed to start: .*ENOENT/);
    assert.match(logText(spec), /err \[rampart-runner\] could not start/);
  });
});

function get(port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, agent: false }, (res) => {
      let body = "";
      res.on("data", (chunk: Buffer) => (body += chunk.toString()));
      res.on("end", () => resolve(body));
    });
    req.on("error", reject);
    req.end();
  });
}
