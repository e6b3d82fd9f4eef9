import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import type { TestContext } from "node:test";
import { gitInfo } from "./artifact-git.ts";

async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "rampart-git-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

function git(dir: string, ...args: string[]): string {
  const identity = ["-c", "user.email=test@example.com", "-c", "user.name=Test", "-c", "commit.gpgsign=false"];
  const env = { ...process.env, GIT_COMMITTER_DATE: "2024-05-06T07:08:09+02:00" };
  return execFileSync("git", [...identity, "-C", dir, ...args], { encoding: "utf8", env }).trim();
}

async function repoWithCommit(t: TestContext): Promise<{ repo: string; web: string; commit: string }> {
  const repo = await tempDir(t);
  const web = join(repo, "web");
  await mkdir(web);
  await writeFile(join(web, "server.js"), "x\n");
  await writeFile(join(repo, "README"), "readme\n");
  git(repo, "init", "-q", "-b", "main");
  git(repo, "add", ".");
  git(repo, "commit", "-q", "-m", "first");
  return { repo, web, commit: git(repo, "rev-parse", "HEAD") };
}

test("describes a clean subdirectory of a repository", async (t) => {
  const { web, commit } = await repoWithCommit(t);
  const info = await gitInfo(web);
  assert.ok(info);
  assert.equal(info.commit, commit);
  assert.match(info.commit, /^[0-9a-f]{40}$/);
  assert.equal(info.branch, "main");
  assert.equal(info.dirty, false);
  // Committer time, normalised to UTC ISO.
  assert.equal(info.commitTime, "2024-05-06T05:08:09.000Z");
});

test("dirty only for changes under the directory, ignoring node_modules", async (t) => {
  const { repo, web } = await repoWithCommit(t);
  await writeFile(join(repo, "README"), "changed outside web\n");
  assert.equal((await gitInfo(web))?.dirty, false);
  await mkdir(join(web, "node_modules/pkg"), { recursive: true });
  await writeFile(join(web, "node_modules/pkg/index.js"), "x");
  assert.equal((await gitInfo(web))?.dirty, false);
  await writeFile(join(web, "new.js"), "untracked\n");
  assert.equal((await gitInfo(web))?.dirty, true);
  await rm(join(web, "new.js"));
  await writeFile(join(web, "server.js"), "modified\n");
  assert.equal((await gitInfo(web))?.dirty, true);
  assert.equal((await gitInfo(repo))?.dirty, true);
});

test("a detached HEAD has no branch", async (t) => {
  const { repo, commit } = await repoWithCommit(t);
  git(repo, "checkout", "-q", "--detach", commit);
  const info = await gitInfo(repo);
  assert.equal(info?.branch, null);
  assert.equal(info?.commit, commit);
});

test("null outside a repository, for a repository without commits, and for a missing dir", async (t) => {
  const plain = await tempDir(t);
  assert.equal(await gitInfo(plain), null);
  const empty = await tempDir(t);
  git(empty, "init", "-q");
  assert.equal(await gitInfo(empty), null);
  assert.equal(await gitInfo(join(plain, "missing")), null);
});
