import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { isAlive, isSameProcess, readProcessStartTime, readProcessUsage } from "./process-info.ts";
import { waitFor } from "./runtime.fixture.ts";

// Far above any real pid_max, so it never exists.
const NO_SUCH_PID = 2 ** 31 - 2;

describe("process-info", () => {
  const pids: number[] = [];
  const dir = mkdtempSync(join(tmpdir(), "rampart-procinfo-"));
  after(() => {
    for (const pid of pids) if (isAlive(pid)) process.kill(pid, "SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  });

  it("identifies this process by pid and start time", () => {
    const start = readProcessStartTime(process.pid);
    assert.match(start ?? "", /^\d+$/);
    assert.ok(isSameProcess(process.pid, start ?? ""));
    assert.ok(isAlive(process.pid));
  });

  it("rejects a recycled pid (same pid, different start time) and missing pids", () => {
    const start = readProcessStartTime(process.pid) ?? "0";
    assert.equal(isSameProcess(process.pid, String(Number(start) + 1)), false);
    assert.equal(readProcessStartTime(NO_SUCH_PID), null);
    assert.equal(isSameProcess(NO_SUCH_PID, start), false);
    assert.equal(isAlive(NO_SUCH_PID), false);
    assert.equal(isAlive(-1), false);
    assert.equal(readProcessUsage(NO_SUCH_PID), null);
  });

  it("parses /proc/<pid>/stat when the command name holds spaces and parentheses", async () => {
    // comm comes from the executable's file name, so a copy of `sleep` named oddly yields an odd comm.
    const odd = join(dir, ") (x y) z");
    copyFileSync("/bin/sleep", odd);
    chmodSync(odd, 0o755);
    const child = spawn(odd, ["30"], { stdio: "ignore" });
    assert.ok(child.pid !== undefined);
    pids.push(child.pid);
    await waitFor("exec", () => readFileSync(`/proc/${child.pid}/stat`, "utf8").includes(") (x y) z)"));
    const start = readProcessStartTime(child.pid);
    assert.match(start ?? "", /^\d+$/);
    assert.ok(isSameProcess(child.pid, start ?? ""));
    const gone = new Promise((resolve) => child.on("exit", resolve));
    child.kill("SIGKILL");
    await gone;
    assert.equal(isSameProcess(child.pid, start ?? ""), false);
  });

  it("counts a zombie as dead", async () => {
    // The backgrounded `cat` is inherited by `sleep` (exec keeps the pid), which never reaps
    // it; closing fd 3 makes `cat` exit, leaving a zombie.
    const child = spawn("/bin/sh", ["-c", "cat <&3 >/dev/null & echo $!; exec sleep 30"], {
      stdio: ["ignore", "pipe", "ignore", "pipe"],
    });
    assert.ok(child.pid !== undefined);
    pids.push(child.pid);
    let out = "";
    child.stdout?.on("data", (chunk: Buffer) => (out += chunk.toString()));
    const zombie = Number(await waitFor("the background pid", () => (out.includes("\n") ? out.trim() : null)));
    await waitFor("the exec", () => readFileSync(`/proc/${child.pid}/cmdline`, "utf8").startsWith("sleep"));
    const fd3 = child.stdio[3];
    if (fd3 !== null && fd3 !== undefined && "destroy" in fd3) fd3.destroy();
    await waitFor("the zombie state", () => readFileSync(`/proc/${zombie}/stat`, "utf8").split(") ")[1]?.startsWith("Z"));
    const start = readProcessStartTime(zombie);
    assert.ok(start !== null, "a zombie still has a /proc entry");
    assert.equal(isAlive(zombie), false);
    assert.equal(isSameProcess(zombie, start), false);
    assert.equal(readProcessUsage(zombie), null);
  });

  it("reads memory and CPU usage", () => {
    let x = 0;
    for (let i = 0; i < 5e6; i++) x += Math.sqrt(i); // burn a little CPU so the counter moves
    assert.ok(x > 0);
    const usage = readProcessUsage(process.pid);
    assert.ok(usage !== null);
    assert.ok(usage.rssBytes > 10 * 1024 * 1024, `rss ${usage.rssBytes}`);
    assert.ok(usage.cpuSeconds > 0);
  });
});
