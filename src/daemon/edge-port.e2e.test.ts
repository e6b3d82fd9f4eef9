import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import { after, before, describe, it } from "node:test";
import { waitFor } from "../shared/wait.ts";
import { killPlatform, runCli, startRampartUp, type RampartUp } from "../testing/rampart-process.ts";
import { createTestProject, type TestProject } from "../testing/test-project.ts";

/**
 * An environment whose port another process holds: the deploy to it says so (exit 1, with why), `status` shows
 * it, and freeing the port is enough: the edge binds it by itself within seconds, no deploy needed.
 */
describe("an environment whose edge port cannot be bound", () => {
  let project: TestProject;
  let up: RampartUp;
  let squatter: Server;
  const cli = (...args: string[]) => runCli(["--data", project.dataDir, ...args]);

  before(async () => {
    project = await createTestProject({ instances: 1 });
    squatter = createServer((_req, res) => res.end("squatter"));
    await new Promise<void>((resolve) => squatter.listen(project.ports.staging, "127.0.0.1", resolve));
    up = await startRampartUp(project);
  });
  after(async () => {
    squatter.close();
    await killPlatform(project.dataDir, up);
  });

  it("the deploy fails with why, status shows it, and freeing the port makes the edge listen by itself", async () => {
    const deploy = cli("deploy", "web", "--env", "staging", "--wait");
    assert.equal(deploy.code, 1, deploy.stderr);
    assert.match(deploy.stdout, /release 1 of web is live in staging/);
    assert.match(deploy.stderr, new RegExp(`staging is not served: the edge cannot listen on 127\\.0\\.0\\.1:${project.ports.staging}`));
    assert.match(deploy.stderr, /EADDRINUSE/);
    assert.match(deploy.stderr, /hint: free port \d+ .*by itself/);

    const status = cli("status");
    assert.match(status.stdout, new RegExp(`NOT LISTENING on 127\\.0\\.0\\.1:${project.ports.staging}: .*EADDRINUSE`));
    assert.equal((await up.client.events({ type: "edge.table_rejected", env: "staging" })).length, 1);

    // Production (its port free) serves as usual meanwhile.
    const production = cli("deploy", "web", "--env", "production", "--wait");
    assert.equal(production.code, 0, production.stderr);

    await new Promise<void>((resolve) => squatter.close(() => resolve()));
    squatter.closeAllConnections();
    const freedAt = Date.now();
    await waitFor(
      async () => {
        const response = await fetch(`http://127.0.0.1:${project.ports.staging}/`).catch(() => undefined);
        if (response?.status !== 200) return undefined;
        const body = (await response.json().catch(() => ({}))) as { release?: string };
        return body.release === "1" ? true : undefined;
      },
      { timeoutMs: 10_000, intervalMs: 100 },
    );
    process.stdout.write(`# port freed → staging serves: ${Date.now() - freedAt} ms\n`);
    // The edge binds while it takes the table the control plane re-sent; the control plane records that from the
    // edge's answer, which can come a moment after the first request was served.
    await waitFor(async () => ((await up.client.status()).environments.every((e) => e.listening) ? true : undefined), {
      timeoutMs: 10_000,
      onTimeout: () => new Error("staging serves, but status still says an environment is not listening"),
    });
    assert.equal((await up.client.events({ type: "edge.listening", env: "staging" })).length, 1);
    assert.doesNotMatch(cli("status").stdout, /NOT LISTENING/);
  });
});
