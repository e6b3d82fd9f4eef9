import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { gzipSync } from "node:zlib";
import { readCredentials } from "../daemon/credentials.ts";
import { killPlatform, type RampartUp, runCli, startRampartUp } from "../testing/rampart-process.ts";
import { createTestProject, type TestProject } from "../testing/test-project.ts";
import { SOURCE_BUNDLE_TYPE } from "./source-bundle.types.ts";

describe("deploys from another machine (a laptop, a CI job)", () => {
  let project: TestProject;
  let up: RampartUp;
  let ci: Record<string, string>;
  let laptop: string;

  before(async () => {
    project = await createTestProject({ instances: 1 });
    up = await startRampartUp(project);
    const credentials = readCredentials(project.dataDir);
    assert.ok(credentials);
    // What a CI job has: the API's address and a token in its environment, and a checkout elsewhere.
    ci = { RAMPART_API: credentials.api, RAMPART_TOKEN: credentials.token, RAMPART_DATA: join(tmpdir(), "nonexistent-rampart-data") };
    laptop = mkdtempSync(join(tmpdir(), "rampart-laptop-"));
    cpSync(join(project.dir, "web"), join(laptop, "web"), { recursive: true });
    writeFileSync(join(laptop, "web", "VERSION"), "from-the-laptop");
    writeFileSync(join(laptop, "web", ".gitignore"), "local-notes.txt\n");
    writeFileSync(join(laptop, "web", "local-notes.txt"), "never leaves the laptop");
    const git = (...args: string[]) =>
      execFileSync("git", ["-C", laptop, ...args], {
        stdio: "ignore",
        env: {
          ...process.env,
          GIT_AUTHOR_NAME: "ci",
          GIT_AUTHOR_EMAIL: "ci@example.com",
          GIT_COMMITTER_NAME: "ci",
          GIT_COMMITTER_EMAIL: "ci@example.com",
        },
      });
    git("init", "-q", "-b", "release-branch");
    git("add", ".");
    git("commit", "-q", "-m", "laptop commit");
  });
  after(async () => killPlatform(project.dataDir, up));

  it("packs the source where the CLI runs, sends it, and the server rolls it out with its git facts", async () => {
    const deployed = runCli(["deploy", "web", "--env", "staging", "--source", "web", "--wait", "--json"], { cwd: laptop, env: ci });
    assert.equal(deployed.code, 0, deployed.stderr + deployed.stdout);
    const release = JSON.parse(deployed.stdout) as { number: number; status: string; git: { commit: string } | null; artifact: string };
    assert.equal(release.status, "live");
    assert.match(release.git?.commit ?? "", /^[0-9a-f]{40}$/);
    const answer = (await (await fetch(`http://127.0.0.1:${project.ports.staging}/`)).json()) as { version: string };
    assert.equal(answer.version, "from-the-laptop");
    const artifactDirs = readdirSync(join(project.dataDir, "artifacts")).filter((d) => d.startsWith("sha256-"));
    for (const dir of artifactDirs)
      assert.equal(existsSync(join(project.dataDir, "artifacts", dir, "src", "local-notes.txt")), false, "ignored files stay behind");
    const created = (await up.client.events({ app: "web", limit: 50 })).find(
      (e) => e.type === "release.created" && e.release === release.number,
    );
    assert.equal((created?.data.git as { branch?: string } | null)?.branch, "release-branch");
    assert.equal(readdirSync(join(project.dataDir, "uploads")).length, 0, "an upload is used once and removed");
  });

  it("refuses forged, unauthenticated and hostile uploads with clear errors, and unknown upload ids", async () => {
    const base = readCredentials(project.dataDir)?.api ?? "";
    const post = (body: Uint8Array, headers: Record<string, string>) =>
      fetch(`${base}/api/v1/uploads`, { method: "POST", body, headers: { "content-type": SOURCE_BUNDLE_TYPE, ...headers } });
    const token = { authorization: `Bearer ${ci.RAMPART_TOKEN}` };
    const traversal = gzipSync(
      Buffer.from(
        `${JSON.stringify({ format: "rampart-source/1", entries: [{ type: "file", mode: 644, path: "../../x", sha256: "0".repeat(64), size: 0 }] })}\n`,
      ),
    );
    const noAuth = await post(traversal, { "x-rampart-artifact-digest": `sha256-${"0".repeat(64)}` });
    assert.equal(noAuth.status, 401);
    const hostile = await post(traversal, { ...token, "x-rampart-artifact-digest": `sha256-${"0".repeat(64)}` });
    assert.equal(hostile.status, 400);
    assert.match(await hostile.text(), /"code":"invalid_bundle".*outside its root/);
    const noDigest = await post(traversal, token);
    assert.equal(noDigest.status, 400);
    const wrongType = await fetch(`${base}/api/v1/uploads`, {
      method: "POST",
      body: "{}",
      headers: { ...token, "content-type": "application/json" },
    });
    assert.equal(wrongType.status, 415);
    const bogus = await fetch(`${base}/api/v1/envs/staging/apps/web/releases`, {
      method: "POST",
      body: JSON.stringify({ upload: "up_aaaaaaaaaaaaaaaaaaaaaa" }),
      headers: { ...token, "content-type": "application/json" },
    });
    assert.equal(bogus.status, 404);
    assert.match(
      ((await bogus.json()) as { error: { message: string } }).error.message,
      /upload "up_aaaaaaaaaaaaaaaaaaaaaa" does not exist/,
    );
  });
});
