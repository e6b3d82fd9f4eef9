import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { freePort } from "../testing/free-port.ts";
import { killPlatform, livePlatformPids, runCli, startRampartUp } from "../testing/rampart-process.ts";
import { createTestProject, type TestProject } from "../testing/test-project.ts";

describe("rampart up whose API port is taken", () => {
  let project: TestProject;
  let blocker: Server;
  let port: number;

  before(async () => {
    project = await createTestProject({ instances: 1 });
    port = await freePort();
    blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(port, "127.0.0.1", resolve));
  });
  after(async () => {
    blocker.close();
    await killPlatform(project.dataDir);
  });

  it("exits non-zero at once with a hint, starts no edge or instance and leaves the data dir unlocked", async () => {
    const startedAt = Date.now();
    const result = runCli(["up", "--config", project.manifestPath, "--data", project.dataDir, "--api", `127.0.0.1:${port}`]);
    const ms = Date.now() - startedAt;
    assert.notEqual(result.code, 0);
    assert.ok(ms < 10_000, `took ${ms} ms`);
    assert.match(result.stderr, new RegExp(`port ${port} is in use .*another rampart up\\?`));
    assert.match(result.stderr, /rampart status/);
    assert.match(result.stderr, /--api 127\.0\.0\.1:PORT/);
    assert.doesNotMatch(result.stdout, /is up/);
    assert.deepEqual(livePlatformPids(project.dataDir), []);
    assert.equal(existsSync(join(project.dataDir, "run", "edge.sock")), false, "no edge was started");
    // The lock is free: a `rampart up` on another port starts.
    const up = await startRampartUp(project);
    await killPlatform(project.dataDir, up);
  });
});
