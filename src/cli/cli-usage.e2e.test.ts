import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { before, describe, it } from "node:test";
import { freePort } from "../testing/free-port.ts";

const CLI = fileURLToPath(new URL("./main.ts", import.meta.url));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(args: string[], env: Record<string, string>, cwd: string): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), 180_000);
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A few at a time: each is a Node start-up, and the machine is shared. */
async function runAll(cases: string[][], env: Record<string, string>, cwd: string): Promise<Map<string[], Run>> {
  const results = new Map<string[], Run>();
  const queue = [...cases];
  await Promise.all(
    Array.from({ length: 3 }, async () => {
      for (let args = queue.shift(); args !== undefined; args = queue.shift()) results.set(args, await run(args, env, cwd));
    }),
  );
  return results;
}

// Bad usage of every command: unknown options, missing arguments, invalid values. Each must be refused by the CLI
// itself (exit 2) before any request: the API address below has nothing listening, so a request would exit 1.
const BAD_USAGE: string[][] = [
  ["frobnicate"],
  ["up", "--bogus"],
  ["up", "--api", "nonsense"],
  ["down", "--env"],
  ["demo", "--bogus"],
  ["status", "--bogus"],
  ["deploy", "web", "--env", "staging", "--strategy", "yolo"],
  ["rollback", "web", "--env", "staging", "--to", "last"],
  ["releases", "web"],
  ["rollout", "web", "--env", "staging", "frob"],
  ["promote", "web", "--from", "staging"],
  ["logs", "web", "--env", "staging", "--since", "7x"],
  ["metrics", "web", "--env", "staging", "--since", "forever"],
  ["events", "--since", "yesterday"],
  ["traces"],
  ["traces", "show"],
  ["flags"],
  ["flags", "create", "k", "--type", "float"],
  ["flags", "get", "k", "--context", "userId=1"],
  ["flags", "set", "k", "--env", "staging", "--enabled", "maybe"],
  ["flags", "rollout", "k", "--env", "staging", "--plan", "5,100", "--every", "soon"],
  ["flags", "history", "k", "--limit", "many"],
  ["flags", "requests", "--status", "open"],
  ["flags", "approve", "abc"],
];

describe("bad usage of every command", () => {
  let env: Record<string, string>;
  let cwd: string;
  before(async () => {
    env = { RAMPART_TOKEN: "not-used", RAMPART_API: `127.0.0.1:${await freePort()}`, RAMPART_DATA: "" };
    cwd = mkdtempSync(join(tmpdir(), "rampart-usage-"));
  });

  it("exits 2 with `error:` and a `hint:` line, without contacting the API", async () => {
    const results = await runAll(BAD_USAGE, env, cwd);
    const wrong: string[] = [];
    for (const [args, result] of results) {
      const ok = result.code === 2 && /^error: \S/m.test(result.stderr) && /^hint: \S/m.test(result.stderr);
      if (!ok) wrong.push(`rampart ${args.join(" ")} → exit ${result.code}\n${result.stderr}${result.stdout}`);
    }
    assert.deepEqual(wrong, [], `not exit 2 with error + hint:\n${wrong.join("\n")}`);
  });

  it("a failure that is not bad usage exits 1, with a hint too", async () => {
    const results = await runAll([["status"], ["deploy", "web", "--env", "staging"], ["events", "--since", "7d"]], env, cwd);
    for (const [args, result] of results) {
      assert.equal(result.code, 1, `${args.join(" ")}: ${result.stderr}`);
      assert.match(result.stderr, /^error: cannot reach the Rampart API/m);
      assert.match(result.stderr, /^hint: \S/m);
    }
  });

  it("`up --help` lists every option docs/cli.md promises (--config, --data, --api) and exits 0", async () => {
    const result = await run(["up", "--help"], env, cwd);
    assert.equal(result.code, 0, result.stderr);
    for (const option of ["--config <file>", "--data <dir>", "--api <host:port>"]) assert.ok(result.stdout.includes(option), option);
  });

  it("`down --help` lists --env and --yes", async () => {
    const result = await run(["down", "--help"], env, cwd);
    assert.equal(result.code, 0, result.stderr);
    for (const option of ["--env <env>", "--yes", "--data <dir>"]) assert.ok(result.stdout.includes(option), option);
  });
});
