import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import { waitForRelease } from "../releases/release-wait.ts";
import { waitFor } from "../shared/wait.ts";
import { killPlatform, startRampartUp, type RampartUp } from "../testing/rampart-process.ts";
import { createTestProject, type TestProject } from "../testing/test-project.ts";

const CLI = fileURLToPath(new URL("../cli/main.ts", import.meta.url));

// Writes one numbered line per /mark request, so the test knows every line the app wrote.
const MARKING_APP = `
const http = require("node:http");
http.createServer((req, res) => {
  const n = new URL(req.url, "http://x").searchParams.get("n");
  if (n !== null) console.log("mark " + n);
  res.end("ok");
}).listen(Number(process.env.PORT), "127.0.0.1");
`;

interface Follower {
  child: ChildProcess;
  stdout(): string[];
  stderr(): string;
}

/** A `rampart … --follow --json` run as a user would: finds the API through the data dir, as it moves. */
function follow(dataDir: string, args: string[]): Follower {
  const { RAMPART_API: _api, RAMPART_TOKEN: _token, ...env } = process.env;
  const child = spawn(process.execPath, [CLI, ...args, "--follow", "--json", "--data", dataDir], {
    stdio: ["ignore", "pipe", "pipe"],
    env,
  });
  let out = "";
  let err = "";
  child.stdout?.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (err += d.toString()));
  return { child, stdout: () => out.split("\n").filter(Boolean), stderr: () => err };
}

describe("--follow across a control-plane restart", () => {
  let project: TestProject;
  let up: RampartUp;
  const followers: Follower[] = [];
  let marks = 0;
  const mark = async () => {
    const response = await fetch(`http://127.0.0.1:${project.ports.staging}/?n=${marks++}`);
    assert.equal(await response.text(), "ok");
  };

  before(async () => {
    project = await createTestProject({ instances: 1, run: "node server.cjs", healthPath: "/" });
    writeFileSync(join(project.dir, "web", "server.cjs"), MARKING_APP);
    up = await startRampartUp(project);
    await waitForRelease(up.client, await up.client.deploy("staging", "web"), 60_000);
  });
  after(async () => {
    for (const f of followers) if (f.child.exitCode === null) f.child.kill("SIGKILL");
    await killPlatform(project.dataDir, up);
  });

  it("events --follow and logs --follow reconnect after kill -9 and resume: no event or line missed or repeated", async () => {
    const events = follow(project.dataDir, ["events", "--since", "1h", "--limit", "10000"]);
    const logs = follow(project.dataDir, ["logs", "web", "--env", "staging", "--grep", "mark", "--limit", "1"]);
    followers.push(events, logs);
    const printedEvents = () => events.stdout().map((l) => JSON.parse(l) as { id: number; type: string; message: string });
    const printedMarks = () =>
      logs
        .stdout()
        .map((l) => /^mark (\d+)$/.exec((JSON.parse(l) as { text: string }).text)?.[1])
        .filter((n) => n !== undefined)
        .map(Number);

    // Both streams are live once a new event and a new line show up in them.
    await up.client.createFlag({ key: "before-restart" });
    await waitFor(() => (printedEvents().some((e) => e.message.includes("before-restart")) ? true : undefined), {
      timeoutMs: 30_000,
      onTimeout: () => new Error(`events --follow printed no new event:\n${events.stderr()}`),
    });
    await waitFor(
      async () => {
        await mark();
        return printedMarks().some((n) => n > 0) ? true : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 200, onTimeout: () => new Error(`logs --follow printed no line:\n${logs.stderr()}`) },
    );
    const firstMark = Math.min(...printedMarks().filter((n) => n > 0));

    up.process.kill("SIGKILL");
    await up.exited;
    // The app keeps serving through the edge while the control plane is away; its lines wait in its log file.
    for (let i = 0; i < 5; i++) await mark();
    await waitFor(() => (/interrupted/.test(events.stderr()) && /interrupted/.test(logs.stderr()) ? true : undefined), {
      timeoutMs: 30_000,
    });

    up = await startRampartUp(project); // on another port: the followers find it through the data dir
    await up.client.createFlag({ key: "after-restart" });
    for (let i = 0; i < 5; i++) await mark();
    const last = marks - 1;
    await waitFor(() => (printedEvents().some((e) => e.message.includes("after-restart")) ? true : undefined), {
      timeoutMs: 60_000,
      onTimeout: () => new Error(`events --follow did not resume:\n${events.stderr()}`),
    });
    await waitFor(() => (printedMarks().includes(last) ? true : undefined), {
      timeoutMs: 60_000,
      onTimeout: () => new Error(`logs --follow did not resume (marks ${printedMarks().join(",")}):\n${logs.stderr()}`),
    });

    const printed = printedEvents().map((e) => e.id);
    const stored = (await up.client.events({ afterId: printed[0]! - 1, limit: 10_000 }))
      .map((e) => e.id)
      .filter((id) => id <= printed.at(-1)!);
    assert.deepEqual(printed, stored, "every stored event printed once, in order, across the restart");
    assert.ok(
      printedEvents().some((e) => e.type === "instance.adopted"),
      "events written while the stream was down are replayed",
    );
    const seen = printedMarks().filter((n) => n >= firstMark);
    assert.deepEqual(
      seen,
      Array.from({ length: last - firstMark + 1 }, (_, i) => firstMark + i),
      `every line from the first followed one printed once, in order:\n${logs.stdout().join("\n")}\n${logs.stderr()}`,
    );
    assert.match(events.stderr(), /rampart: event stream interrupted \(.+\); reconnecting in \d+\.\d s \(attempt 1\)/);
    assert.match(events.stderr(), /rampart: reconnected; resuming after \d+/);
    assert.match(logs.stderr(), /rampart: reconnected; resuming after \d+-\d+/);
  });
});
