import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, describe, it } from "node:test";
import { readProcessStartTime } from "../runtime/process-info.ts";
import { RampartError } from "../shared/errors.ts";
import { waitFor } from "../shared/wait.ts";
import { lockDataDir } from "./data-dir-lock.ts";

const LOCK_MODULE = fileURLToPath(new URL("./data-dir-lock.ts", import.meta.url));

// Each contender waits for "go" on stdin, so all of them try at the same moment, then holds what it got until stdin ends.
const CONTENDER = `
import { lockDataDir } from ${JSON.stringify(LOCK_MODULE)};
const dir = process.argv.at(-1);
process.stdout.write("ready\\n");
process.stdin.once("data", () => {
  try {
    lockDataDir(dir);
    process.stdout.write("won\\n");
  } catch (error) {
    process.stdout.write("refused " + JSON.stringify({ message: error.message, hint: error.hint }) + "\\n");
  }
  process.stdin.once("end", () => process.exit(0));
});
`;

interface Contender {
  child: ChildProcess;
  output: () => string;
}

const started: ChildProcess[] = [];
after(() => {
  for (const child of started) if (child.exitCode === null) child.kill("SIGKILL");
});

function startContender(dir: string): Contender {
  const child = spawn(process.execPath, ["--input-type=module", "-e", CONTENDER, dir], { stdio: ["pipe", "pipe", "inherit"] });
  started.push(child);
  let output = "";
  child.stdout?.on("data", (d: Buffer) => (output += d.toString()));
  return { child, output: () => output };
}

/** Starts `count` processes, lets them all try at once, and returns each one's outcome (pid → line). */
async function race(dir: string, count: number): Promise<{ contenders: Contender[]; outcomes: Map<number, string> }> {
  const contenders = Array.from({ length: count }, () => startContender(dir));
  await waitFor(() => (contenders.every((c) => c.output().includes("ready")) ? true : undefined), { timeoutMs: 60_000 });
  for (const c of contenders) c.child.stdin?.write("go\n");
  await waitFor(() => (contenders.every((c) => /\n(won|refused .*)\n/.test(c.output())) ? true : undefined), { timeoutMs: 30_000 });
  const outcomes = new Map(contenders.map((c) => [c.child.pid ?? 0, c.output().split("\n")[1] ?? ""]));
  return { contenders, outcomes };
}

async function release(contenders: Contender[]): Promise<void> {
  for (const c of contenders) c.child.stdin?.end();
  await waitFor(() => (contenders.every((c) => c.child.exitCode !== null) ? true : undefined), { timeoutMs: 10_000 });
}

function assertOneWinner(outcomes: Map<number, string>): number {
  const winners = [...outcomes].filter(([, line]) => line === "won").map(([pid]) => pid);
  assert.equal(winners.length, 1, `exactly one holds the lock: ${[...outcomes].map(([p, l]) => `${p}: ${l}`).join("\n")}`);
  const winner = winners[0] ?? 0;
  for (const [pid, line] of outcomes) {
    if (pid === winner) continue;
    const refusal = JSON.parse(line.replace(/^refused /, "")) as { message: string; hint: string };
    assert.match(refusal.message, new RegExp(`pid ${winner}\\b`), "the refusal names the holder's pid");
    assert.match(refusal.hint, /rampart down/);
  }
  return winner;
}

function deadProcess(): { pid: number; pidStart: string } {
  // A process that has exited: its pid is free (or, if recycled, its start time no longer matches).
  const child = spawnSync(
    process.execPath,
    ["-e", "console.log(process.pid, require('node:fs').readFileSync('/proc/self/stat','utf8').split(') ')[1].split(' ')[19])"],
    {
      encoding: "utf8",
    },
  );
  const [pid, pidStart] = child.stdout.trim().split(" ");
  return { pid: Number(pid), pidStart: pidStart ?? "" };
}

describe("the data dir lock", () => {
  it("of 8 processes trying at the same moment, exactly one wins; the others are refused naming its pid and `rampart down`", async () => {
    const dir = mkdtempSync(join(tmpdir(), "rampart-lock-"));
    const { contenders, outcomes } = await race(dir, 8);
    assertOneWinner(outcomes);
    await release(contenders);
  });

  it("a stale lock (its process gone) is taken over by exactly one of several processes racing for it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "rampart-lock-"));
    writeFileSync(join(dir, "control-plane.lock"), JSON.stringify(deadProcess()));
    const { contenders, outcomes } = await race(dir, 8);
    assertOneWinner(outcomes);
    await release(contenders);
    assert.deepEqual(
      readdirSync(dir).filter((f) => f !== "control-plane.lock"),
      [],
      "no temp files or takeover markers left",
    );
  });

  it("a lock naming a recycled pid (same pid, other start time) is stale and taken over", () => {
    const dir = mkdtempSync(join(tmpdir(), "rampart-lock-"));
    writeFileSync(join(dir, "control-plane.lock"), JSON.stringify({ pid: process.pid, pidStart: "1" }));
    const unlock = lockDataDir(dir);
    unlock();
    assert.equal(existsSync(join(dir, "control-plane.lock")), false, "released: the file is gone");
  });

  it("a lock left in the old format ({} after a clean stop) or torn does not block", () => {
    for (const content of ["{}", '{"pid":', ""]) {
      const dir = mkdtempSync(join(tmpdir(), "rampart-lock-"));
      writeFileSync(join(dir, "control-plane.lock"), content);
      if (content === "") {
        // An empty lock may be a process between create and write: it is stale only once it is old.
        const old = new Date(Date.now() - 60_000);
        spawnSync("touch", ["-d", old.toISOString(), join(dir, "control-plane.lock")]);
      }
      lockDataDir(dir)();
    }
  });

  it("a live holder is refused with its pid and the next command; once it releases, the lock is free", async () => {
    const dir = mkdtempSync(join(tmpdir(), "rampart-lock-"));
    const { contenders, outcomes } = await race(dir, 1);
    const holder = assertOneWinner(outcomes);
    assert.ok(readProcessStartTime(holder) !== null);
    assert.throws(
      () => lockDataDir(dir),
      (error: unknown) =>
        error instanceof RampartError &&
        error.code === "already_running" &&
        error.message.includes(`pid ${holder}`) &&
        /rampart down/.test(error.hint ?? ""),
    );
    await release(contenders);
    // The holder exited without unlocking (its process is gone): the lock is stale now and ours to take.
    lockDataDir(dir)();
  });
});
