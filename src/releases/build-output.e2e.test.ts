import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { cpSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import { readCredentials } from "../daemon/credentials.ts";
import { waitFor } from "../shared/wait.ts";
import { killPlatform, type RampartUp, runCli, startRampartUp } from "../testing/rampart-process.ts";
import { createTestProject, type TestProject } from "../testing/test-project.ts";

const CLI = fileURLToPath(new URL("../cli/main.ts", import.meta.url));

// Prints a line, waits for the test to say go (so the test sees that line while the build still runs), prints
// more on both streams and fails. The deadline keeps a forgotten build from hanging the test.
const BUILD_SCRIPT = `echo "build step one: compiling"
i=0
while [ ! -f "$GO_FILE" ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done
echo "build step two: linking"
echo "error: missing symbol main" >&2
exit 3
`;

describe("a deploy shows its build's output as it runs", () => {
  let project: TestProject;
  let up: RampartUp;
  let goFile: string;

  before(async () => {
    project = await createTestProject({ instances: 1 });
    goFile = join(project.dir, "go");
    writeFileSync(join(project.dir, "web", "build.sh"), BUILD_SCRIPT);
    project.writeManifest(`    build: sh build.sh\n    env: { GO_FILE: ${JSON.stringify(goFile)} }\n`);
    up = await startRampartUp(project);
  });
  after(async () => killPlatform(project.dataDir, up));

  it("streams the build to stderr while it runs, then prints its last lines and the command for all of it", async () => {
    const cli = spawn(process.execPath, [CLI, "deploy", "web", "--env", "staging", "--wait", "--data", project.dataDir], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    cli.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    cli.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => cli.once("exit", (code) => resolve(code)));
    try {
      // The first line reaches the deploying terminal while the build is still blocked: it is live, not replayed.
      await waitFor(() => (stderr.includes("build | build step one: compiling") ? true : undefined), {
        timeoutMs: 30_000,
        onTimeout: () => new Error(`no build output while building:\n${stderr}`),
      });
      assert.doesNotMatch(stderr, /step two/);
      writeFileSync(goFile, "");
      assert.equal(await exited, 1, stderr);
    } finally {
      cli.kill("SIGKILL");
    }
    const allOfIt = "rampart logs web --env staging --instance staging.web.r1.build --limit 10000";
    assert.match(stderr, /build "sh build\.sh" exited with code 3; last output:/);
    assert.match(stderr, /build step one: compiling\nbuild step two: linking\nerror: missing symbol main/, "the last lines, in order");
    assert.ok(stderr.includes(`hint: the whole build output: ${allOfIt}`), stderr);
    assert.equal(stdout.includes("is live"), false);

    // The command it names prints the whole build, stdout and stderr lines alike.
    const logs = await waitFor(
      () => {
        const run = runCli([...allOfIt.split(" ").slice(1), "--data", project.dataDir]);
        return run.stdout.includes("missing symbol main") ? run : undefined;
      },
      { timeoutMs: 10_000 },
    );
    assert.equal(logs.code, 0, logs.stderr);
    for (const text of ["build step one: compiling", "build step two: linking", "error: missing symbol main"])
      assert.ok(logs.stdout.includes(text), logs.stdout);
    assert.match(logs.stdout, /staging\.web\.r1\.build ERROR error: missing symbol main/);
  });

  it("--json keeps stdout one release object; the build's output goes to stderr", async () => {
    // The go file exists now: the build runs straight through and fails again (a failed build is not cached).
    const run = runCli(["deploy", "web", "--env", "staging", "--json", "--data", project.dataDir]);
    assert.equal(run.code, 1, run.stderr);
    const release = JSON.parse(run.stdout) as { number: number; status: string; reason: string };
    assert.equal(release.number, 2);
    assert.equal(release.status, "failed");
    assert.match(release.reason, /exited with code 3/);
    assert.match(run.stderr, /build \| build step one: compiling/);
    assert.match(run.stderr, /hint: the whole build output: rampart logs web --env staging --instance staging\.web\.r2\.build/);
  });

  it("a deploy from another machine (source upload, RAMPART_API/RAMPART_TOKEN) streams its build the same way", async () => {
    const credentials = readCredentials(project.dataDir);
    assert.ok(credentials);
    const laptop = mkdtempSync(join(tmpdir(), "rampart-laptop-"));
    cpSync(join(project.dir, "web"), join(laptop, "web"), { recursive: true });
    writeFileSync(join(laptop, "web", "VERSION"), "from-the-laptop");
    const ci = { RAMPART_API: credentials.api, RAMPART_TOKEN: credentials.token, RAMPART_DATA: join(laptop, "no-data-here") };
    const run = runCli(["deploy", "web", "--env", "staging", "--source", "web", "--wait"], { cwd: laptop, env: ci });
    assert.equal(run.code, 1, run.stderr);
    for (const line of ["build step one: compiling", "build step two: linking", "error: missing symbol main"])
      assert.ok(run.stderr.includes(`  build | ${line}\n`), `streamed: ${line}\n${run.stderr}`);
    assert.match(run.stderr, /hint: the whole build output: rampart logs web --env staging --instance staging\.web\.r3\.build/);
  });
});
