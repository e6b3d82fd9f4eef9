import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import type { TestContext } from "node:test";
import { isBuiltWith, readBuildMarker, runBuild, writeBuildMarker } from "./artifact-build.ts";

async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "rampart-build-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

const env = { PATH: process.env.PATH, GREETING: "hello" };

/** A killed orphan stays a zombie until init reaps it (slowly in some containers): dead. */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return true;
  }
}

async function waitFor(condition: () => boolean, deadlineMs = 5_000): Promise<void> {
  const until = Date.now() + deadlineMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error("condition not met before the deadline");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

test("a successful build writes its output into the dir and logs lines with timestamps", async (t) => {
  const dir = await tempDir(t);
  const logPath = join(dir, "logs", "build.log");
  const lines: string[] = [];
  const result = await runBuild({
    dir,
    command: 'echo "$GREETING" > out.txt; echo built; echo warn >&2; printf partial',
    logPath,
    env,
    timeoutMs: 10_000,
    onLine: (line, stream) => lines.push(`${stream}:${line}`),
  });
  assert.equal(result.ok, true);
  assert.equal(result.exitCode, 0);
  assert.equal(result.signal, null);
  assert.equal(result.timedOut, false);
  assert.ok(result.durationMs >= 0);
  assert.equal(await readFile(join(dir, "out.txt"), "utf8"), "hello\n");
  assert.deepEqual(lines.sort(), ["err:warn", "out:built", "out:partial"]);
  const log = (await readFile(logPath, "utf8")).trimEnd().split("\n");
  assert.equal(log.length, 3);
  for (const line of log) assert.match(line, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (out|err) \S+$/);
  assert.ok(log.some((line) => line.endsWith(" err warn")));
});

test("a failing build returns ok false and the last 20 lines; the log is appended to", async (t) => {
  const dir = await tempDir(t);
  const logPath = join(dir, "build.log");
  await writeFile(logPath, "earlier\n");
  const result = await runBuild({
    dir,
    command: "for i in $(seq 1 30); do echo line $i; done; echo boom >&2; exit 3",
    logPath,
    env,
    timeoutMs: 10_000,
  });
  assert.equal(result.ok, false);
  assert.equal(result.exitCode, 3);
  assert.equal(result.tail.length, 20);
  assert.equal(result.tail[0], "line 12");
  assert.equal(result.tail.at(-1), "boom");
  const log = await readFile(logPath, "utf8");
  assert.ok(log.startsWith("earlier\n"));
  assert.equal(log.trimEnd().split("\n").length, 32);
});

test("a timeout kills the whole process group, grandchildren included", async (t) => {
  const dir = await tempDir(t);
  const pidFile = join(dir, "sleep.pid");
  const result = await runBuild({
    dir,
    // The shell waits on a background sleep: killing only the shell would leave the sleep.
    command: `sleep 100 & echo $! > ${pidFile}; wait`,
    logPath: join(dir, "build.log"),
    env,
    timeoutMs: 300,
    killGraceMs: 1_000,
  });
  assert.equal(result.ok, false);
  assert.equal(result.timedOut, true);
  assert.equal(result.exitCode, null);
  assert.equal(result.signal, "SIGTERM");
  assert.match(result.tail.at(-1) ?? "", /timed out after 300 ms/);
  const sleepPid = Number(await readFile(pidFile, "utf8"));
  await waitFor(() => !isAlive(sleepPid));
});

test("a build that ignores SIGTERM is killed after the grace period", async (t) => {
  const dir = await tempDir(t);
  const result = await runBuild({
    dir,
    command: `trap '' TERM; sleep 100 & wait; wait`,
    logPath: join(dir, "build.log"),
    env,
    timeoutMs: 200,
    killGraceMs: 200,
  });
  assert.equal(result.timedOut, true);
  assert.equal(result.signal, "SIGKILL");
});

test("background processes left by a finished build do not hang it", async (t) => {
  const dir = await tempDir(t);
  const pidFile = join(dir, "daemon.pid");
  const result = await runBuild({
    dir,
    command: `sleep 100 & echo $! > ${pidFile}; echo done`,
    logPath: join(dir, "build.log"),
    env,
    timeoutMs: 10_000,
  });
  assert.equal(result.ok, true);
  const pid = Number(await readFile(pidFile, "utf8"));
  await waitFor(() => !isAlive(pid));
});

test("a missing build dir is an error naming it", async (t) => {
  const dir = await tempDir(t);
  const missing = join(dir, "nope");
  await assert.rejects(runBuild({ dir: missing, command: "true", logPath: join(dir, "b.log"), env, timeoutMs: 1_000 }), {
    message: `build directory "${missing}" does not exist`,
  });
});

test("build marker round trip; a success for the same command means built", async (t) => {
  const dir = await tempDir(t);
  assert.equal(await readBuildMarker(dir), null);
  const marker = { command: "npm ci", ok: true, at: "2024-01-01T00:00:00.000Z", durationMs: 1234 };
  await writeBuildMarker(dir, marker);
  assert.deepEqual(await readBuildMarker(dir), marker);
  assert.equal(isBuiltWith(await readBuildMarker(dir), "npm ci"), true);
  assert.equal(isBuiltWith(await readBuildMarker(dir), "npm run build"), false);
  await writeBuildMarker(dir, { ...marker, ok: false });
  assert.equal(isBuiltWith(await readBuildMarker(dir), "npm ci"), false);
  await writeFile(join(dir, "build.json"), '{"command": "npm ci", "ok": tr');
  assert.equal(await readBuildMarker(dir), null);
});
