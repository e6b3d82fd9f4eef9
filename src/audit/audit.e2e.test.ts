import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, rmSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { after, before, describe, it } from "node:test";
import { killPlatform, runCli, startRampartUp, type RampartUp } from "../testing/rampart-process.ts";
import { createTestProject, type TestProject } from "../testing/test-project.ts";
import { EXIT_CHAIN_BROKEN } from "./audit.cli.ts";

/** `rampart audit …` as a user runs it: the API found through the data dir. */
function audit(project: TestProject, args: string[]) {
  return runCli(["audit", ...args, "--data", project.dataDir], { env: { RAMPART_API: "", RAMPART_TOKEN: "" } });
}

describe("rampart audit against a real control plane", () => {
  let project: TestProject;
  let up: RampartUp | undefined;

  before(async () => {
    project = await createTestProject({ instances: 1 });
    // A clean stop signs a checkpoint of the head; the restart then continues the chain.
    const first = await startRampartUp(project);
    first.process.kill("SIGTERM");
    assert.equal(await first.exited, 0, first.output());
    up = await startRampartUp(project);
  });
  after(async () => {
    await killPlatform(project.dataDir, up);
    rmSync(project.dir, { recursive: true, force: true });
  });

  it("verify exits 0 while the chain holds, with the count and the last checkpoint", () => {
    // startRampartUp puts the key beside the data dir (outside it), created 0600.
    const keyFile = join(dirname(project.dataDir), "audit-key");
    assert.equal(statSync(keyFile).mode & 0o777, 0o600);
    assert.ok(existsSync(join(project.dataDir, "audit", "checkpoints.jsonl")));
    const result = audit(project, ["verify"]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^verified \d+ events, last checkpoint #\d+ at \d{4}-\d\d-\d\dT[\d:.]+Z \(event \d+\)\n$/);
  });

  it("rampart audit shows who did what, filtered by actor and type", () => {
    const result = audit(project, ["--actor", "rampart", "--type", "platform.", "--json"]);
    assert.equal(result.code, 0, result.stderr);
    const { events } = JSON.parse(result.stdout) as { events: { type: string; actor: string }[] };
    assert.ok(events.some((e) => e.type === "platform.started"));
    assert.ok(events.every((e) => e.actor === "rampart"));
    const text = audit(project, ["--since", "1h"]);
    assert.match(text.stdout, /rampart\s+platform\.started/);
  });

  it("verify exits non-zero naming the event a byte of which was changed with sqlite3, and what to do next", () => {
    execFileSync("sqlite3", [join(project.dataDir, "rampart.db"), "UPDATE events SET message = 'X' || substr(message, 2) WHERE id = 2"]);
    const result = audit(project, ["verify"]);
    assert.equal(result.code, EXIT_CHAIN_BROKEN, result.stdout);
    assert.match(
      result.stderr,
      /error: the audit chain does not hold: event 2 \(([a-z_.]+)\) does not match its recorded hash.*\[event 2, \1, \d{4}-/,
    );
    assert.match(result.stderr, /hint: the event log was altered outside rampart; events up to 1 check out/);
    const json = JSON.parse(audit(project, ["verify", "--json"]).stdout) as { ok: boolean; problem: { eventId: number } };
    assert.deepEqual([json.ok, json.problem.eventId], [false, 2]);
  });
});
