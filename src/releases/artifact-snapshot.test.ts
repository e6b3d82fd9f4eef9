import assert from "node:assert/strict";
import { chmod, copyFile, mkdir, mkdtemp, readdir, readFile, readlink, rm, stat, symlink, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { spawn } from "node:child_process";
import { test } from "node:test";
import type { TestContext } from "node:test";
import { snapshotSource } from "./artifact-snapshot.ts";

async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "rampart-snap-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function writeTree(root: string, files: Record<string, string>): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), content);
  }
}

const app = { "server.js": "console.log(1)\n", "lib/util.js": "export {}\n", "public/a/b.css": "a{}" };

async function digestOf(t: TestContext, files: Record<string, string>, tweak?: (dir: string) => Promise<void>) {
  const base = await tempDir(t);
  const src = join(base, "src");
  await writeTree(src, files);
  await tweak?.(src);
  return (await snapshotSource({ sourceDir: src, artifactsRoot: join(base, "artifacts") })).digest;
}

test("same content gives the same digest, from two different source paths", async (t) => {
  const a = await digestOf(t, app);
  const b = await digestOf(t, app);
  assert.match(a, /^sha256-[0-9a-f]{64}$/);
  assert.equal(a, b);
});

test("a changed byte, a rename and chmod +x each change the digest; an empty dir does not", async (t) => {
  const base = await digestOf(t, app);
  assert.notEqual(await digestOf(t, { ...app, "server.js": "console.log(2)\n" }), base);
  const { "server.js": content, ...rest } = app;
  assert.notEqual(await digestOf(t, { ...rest, "main.js": content }), base);
  assert.notEqual(await digestOf(t, app, (dir) => chmod(join(dir, "server.js"), 0o755)), base);
  // Empty directories are ignored by design (like git): they are neither hashed nor copied.
  assert.equal(await digestOf(t, app, async (dir) => void (await mkdir(join(dir, "empty/nested"), { recursive: true }))), base);
});

test("node_modules, .git, .rampart (at any depth) and extra excludes are left out", async (t) => {
  const base = await tempDir(t);
  const src = join(base, "src");
  await writeTree(src, {
    ...app,
    "node_modules/x/index.js": "x",
    "lib/node_modules/y.js": "y",
    ".git/HEAD": "ref",
    "sub/.rampart/state": "s",
    "coverage/lcov.info": "c",
  });
  const result = await snapshotSource({ sourceDir: src, artifactsRoot: join(base, "art"), exclude: ["coverage"] });
  assert.equal(result.digest, await digestOf(t, app));
  assert.equal(result.files, 3);
  const listing = await readFile(join(result.dir, "listing.txt"), "utf8");
  assert.doesNotMatch(listing, /node_modules|\.git|\.rampart|coverage/);
  await assert.rejects(stat(join(result.srcDir, "node_modules")), { code: "ENOENT" });
});

test("an artifacts root inside the source dir is not snapshotted into itself", async (t) => {
  const src = await tempDir(t);
  await writeTree(src, app);
  const first = await snapshotSource({ sourceDir: src, artifactsRoot: join(src, "artifacts") });
  const second = await snapshotSource({ sourceDir: src, artifactsRoot: join(src, "artifacts") });
  assert.equal(second.digest, first.digest);
  assert.equal(second.created, false);
});

test("the copy is complete and identical, symlinks stay links, modes keep the x bit", async (t) => {
  const base = await tempDir(t);
  const src = join(base, "src");
  await writeTree(src, { ...app, "bin/start": "#!/bin/sh\necho hi\n", "big.bin": "x".repeat(3 << 20) });
  await chmod(join(src, "bin/start"), 0o755);
  await symlink("lib/util.js", join(src, "current"));
  await symlink("/nonexistent/target", join(src, "dangling"));
  const result = await snapshotSource({ sourceDir: src, artifactsRoot: join(base, "art") });
  assert.equal(result.created, true);
  assert.equal(result.dir, join(base, "art", result.digest));
  assert.equal(result.files, 7);
  assert.equal(result.bytes, Buffer.byteLength(Object.values(app).join("")) + 18 + (3 << 20));
  for (const path of [...Object.keys(app), "bin/start", "big.bin"]) {
    assert.deepEqual(await readFile(join(result.srcDir, path)), await readFile(join(src, path)), path);
  }
  assert.equal(await readlink(join(result.srcDir, "current")), "lib/util.js");
  assert.equal(await readlink(join(result.srcDir, "dangling")), "/nonexistent/target");
  assert.ok(((await stat(join(result.srcDir, "bin/start"))).mode & 0o111) !== 0);
  const listing = await readFile(join(result.dir, "listing.txt"), "utf8");
  assert.match(listing, /^link 777 current [0-9a-f]{64}$/m);
  assert.match(listing, /^file 755 bin\/start [0-9a-f]{64}$/m);
  assert.match(listing, /^file 644 lib\/util\.js [0-9a-f]{64}$/m);
  // Changing only a link target changes the digest.
  await rm(join(src, "current"));
  await symlink("server.js", join(src, "current"));
  const relinked = await snapshotSource({ sourceDir: src, artifactsRoot: join(base, "art") });
  assert.notEqual(relinked.digest, result.digest);
});

test("a second snapshot of the same content copies nothing", async (t) => {
  const base = await tempDir(t);
  const src = join(base, "src");
  await writeTree(src, app);
  const first = await snapshotSource({ sourceDir: src, artifactsRoot: join(base, "art") });
  let copies = 0;
  const second = await snapshotSource({
    sourceDir: src,
    artifactsRoot: join(base, "art"),
    copyFile: async (from, to) => {
      copies++;
      await copyFile(from, to);
    },
  });
  assert.deepEqual({ ...second, created: true }, first);
  assert.equal(second.created, false);
  assert.equal(copies, 0);
});

test("a copy that fails halfway leaves no artifact under the digest and no temp dir", async (t) => {
  const base = await tempDir(t);
  const src = join(base, "src");
  await writeTree(src, app);
  const artifactsRoot = join(base, "art");
  let copies = 0;
  await assert.rejects(
    snapshotSource({
      sourceDir: src,
      artifactsRoot,
      concurrency: 1,
      copyFile: async (from, to) => {
        if (++copies === 2) throw new Error("disk full");
        await copyFile(from, to);
      },
    }),
    /disk full/,
  );
  assert.deepEqual(await readdir(artifactsRoot), []);
  const retry = await snapshotSource({ sourceDir: src, artifactsRoot });
  assert.equal(retry.created, true);
});

test("stale temp dirs of a crashed copy and trash dirs are swept; fresh ones are kept", async (t) => {
  const base = await tempDir(t);
  const src = join(base, "src");
  await writeTree(src, app);
  const artifactsRoot = join(base, "art");
  for (const name of [".tmp-old", ".tmp-fresh", ".trash-x"]) await mkdir(join(artifactsRoot, name, "src"), { recursive: true });
  const twoHoursAgo = new Date(Date.now() - 2 * 60 * 60 * 1000);
  await utimes(join(artifactsRoot, ".tmp-old"), twoHoursAgo, twoHoursAgo);
  const result = await snapshotSource({ sourceDir: src, artifactsRoot });
  assert.deepEqual((await readdir(artifactsRoot)).sort(), [".tmp-fresh", result.digest]);
});

test("a missing or non-directory source is a clear error naming the path", async (t) => {
  const base = await tempDir(t);
  const missing = join(base, "web");
  await assert.rejects(snapshotSource({ sourceDir: missing, artifactsRoot: join(base, "art"), what: "apps.web.source" }), {
    message: `source directory "${missing}" does not exist (apps.web.source)`,
  });
  await writeFile(join(base, "file"), "x");
  await assert.rejects(snapshotSource({ sourceDir: join(base, "file"), artifactsRoot: join(base, "art") }), /is not a directory/);
});

test("a source file changed during the copy: the digest describes what was copied", async (t) => {
  const base = await tempDir(t);
  const src = join(base, "src");
  await writeTree(src, app);
  const before = await digestOf(t, app);
  const result = await snapshotSource({
    sourceDir: src,
    artifactsRoot: join(base, "art"),
    copyFile: async (from, to) => {
      if (from.endsWith("server.js")) await writeFile(from, "changed\n");
      await copyFile(from, to);
    },
  });
  assert.notEqual(result.digest, before);
  assert.equal(result.digest, await digestOf(t, { ...app, "server.js": "changed\n" }));
  assert.equal(await readFile(join(result.srcDir, "server.js"), "utf8"), "changed\n");
});

test("kill -9 in the middle of a copy leaves only a temp dir, swept later", async (t) => {
  const base = await tempDir(t);
  const src = join(base, "src");
  await writeTree(src, app);
  const artifactsRoot = join(base, "art");
  // A real process that copies one file and then hangs, so it is killed mid-copy.
  const script = join(base, "crash.ts");
  await writeFile(
    script,
    `import { copyFile } from 'node:fs/promises';
import { snapshotSource } from ${JSON.stringify(new URL("./artifact-snapshot.ts", import.meta.url).href)};
let n = 0;
await snapshotSource({ sourceDir: ${JSON.stringify(src)}, artifactsRoot: ${JSON.stringify(artifactsRoot)}, concurrency: 1,
  copyFile: async (from, to) => { if (n++ === 1) { console.log('copying'); await new Promise(() => setInterval(() => {}, 1000)); } await copyFile(from, to); } });
`,
  );
  const child = spawn(process.execPath, [script], { stdio: ["ignore", "pipe", "inherit"] });
  await new Promise<void>((resolve, reject) => {
    child.stdout.on("data", (chunk: Buffer) => chunk.toString().includes("copying") && resolve());
    child.once("exit", () => reject(new Error("child exited before the copy")));
  });
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGKILL");
  await exited;
  const left = await readdir(artifactsRoot);
  assert.equal(left.length, 1);
  assert.match(left[0] ?? "", /^\.tmp-/);
  const result = await snapshotSource({ sourceDir: src, artifactsRoot, staleAfterMs: 0 });
  assert.equal(result.created, true);
  assert.deepEqual(await readdir(artifactsRoot), [result.digest]);
});
