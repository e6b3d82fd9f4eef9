import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { waitFor } from "../shared/wait.ts";
import { RuntimeProbe } from "./runtime-probe.ts";

describe("RuntimeProbe: the interpreter a process actually runs, from /proc/PID/exe", () => {
  it("names this process's node and its version, asking each binary once", async () => {
    const asked: string[] = [];
    const probe = new RuntimeProbe({
      run: async (file, args) => {
        asked.push(`${file} ${args.join(" ")}`);
        return "v24.0.0-fake\n";
      },
    });
    const first = await probe.ofPid(process.pid);
    const second = await probe.ofPid(process.pid);
    assert.equal(first?.binary, process.execPath);
    assert.deepEqual([first?.name, first?.version, first?.replaced], ["node", "v24.0.0-fake", false]);
    assert.deepEqual(second, first);
    assert.deepEqual(asked, [`${process.execPath} --version`], "cached by binary path, inode and mtime");
  });

  it("runs the real --version of the interpreter", async () => {
    const runtime = await new RuntimeProbe().ofPid(process.pid);
    assert.equal(runtime?.version, process.version);
  });

  it("a binary replaced since the process started is still asked, through /proc/PID/exe", async () => {
    const dir = mkdtempSync(join(tmpdir(), "rampart-runtime-"));
    const node = join(dir, "node");
    copyFileSync(process.execPath, node);
    const child = spawn(node, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
    try {
      const pid = child.pid ?? assert.fail("no pid");
      await waitFor(async () => ((await new RuntimeProbe().ofPid(pid))?.binary === node ? true : undefined), { timeoutMs: 10_000 });
      rmSync(node);
      const runtime = await new RuntimeProbe().ofPid(pid);
      assert.deepEqual([runtime?.binary, runtime?.replaced, runtime?.version], [node, true, process.version]);
    } finally {
      child.kill("SIGKILL");
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("does not run a binary that is not a known interpreter, and answers null for a process that is gone", async () => {
    const probe = new RuntimeProbe({ run: async () => assert.fail("an app's own binary must not be run") });
    const sleeper = spawn("sleep", ["30"], { stdio: "ignore" });
    try {
      const pid = sleeper.pid ?? assert.fail("no pid");
      const runtime = await waitFor(
        async () => {
          const r = await probe.ofPid(pid);
          return r?.name === "sleep" ? r : undefined;
        },
        { timeoutMs: 10_000 },
      );
      assert.equal(runtime.version, null);
    } finally {
      sleeper.kill("SIGKILL");
    }
    assert.equal(await probe.ofPid(2 ** 22 + 12345), null);
  });
});
