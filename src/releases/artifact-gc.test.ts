import assert from "node:assert/strict";
import { link, mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import type { TestContext } from "node:test";
import { artifactDiskUsage, pickArtifactsToCollect, removeArtifact } from "./artifact-gc.ts";
import { snapshotSource } from "./artifact-snapshot.ts";

async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "rampart-gc-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

const d = (n: number): string => `sha256-${String(n).padStart(64, "0")}`;

test("keeps the most recently used and everything in use, returns the rest oldest first", () => {
  const artifacts = [
    { digest: d(1), lastUsedAt: "2024-01-01T00:00:00Z" },
    { digest: d(2), lastUsedAt: "2024-01-02T00:00:00Z" },
    { digest: d(3), lastUsedAt: new Date("2024-01-03T00:00:00Z") },
    { digest: d(4), lastUsedAt: Date.parse("2024-01-04T00:00:00Z") },
    { digest: d(5), lastUsedAt: null },
  ];
  assert.deepEqual(pickArtifactsToCollect({ artifacts, inUse: new Set(), keep: 2 }), [d(5), d(1), d(2)]);
  // In-use ones are kept on top of `keep`, not counted in it.
  assert.deepEqual(pickArtifactsToCollect({ artifacts, inUse: new Set([d(1), d(4)]), keep: 2 }), [d(5)]);
  assert.deepEqual(pickArtifactsToCollect({ artifacts, inUse: new Set(), keep: 10 }), []);
  assert.deepEqual(pickArtifactsToCollect({ artifacts, inUse: new Set([d(5)]), keep: 0 }), [d(1), d(2), d(3), d(4)]);
  assert.deepEqual(pickArtifactsToCollect({ artifacts: [], inUse: new Set(), keep: 3 }), []);
});

test("duplicate rows count with their latest use; ties are broken deterministically", () => {
  const artifacts = [
    { digest: d(1), lastUsedAt: 1 },
    { digest: d(2), lastUsedAt: 2 },
    { digest: d(1), lastUsedAt: 3 },
    { digest: d(3), lastUsedAt: 2 },
  ];
  assert.deepEqual(pickArtifactsToCollect({ artifacts, inUse: new Set(), keep: 1 }), [d(3), d(2)]);
});

test("removeArtifact deletes one artifact and leaves nothing behind", async (t) => {
  const base = await tempDir(t);
  const src = join(base, "src");
  await mkdir(src);
  await writeFile(join(src, "a.js"), "a");
  const root = join(base, "art");
  const kept = await snapshotSource({ sourceDir: src, artifactsRoot: root });
  await writeFile(join(src, "a.js"), "b");
  const gone = await snapshotSource({ sourceDir: src, artifactsRoot: root });
  assert.equal(await removeArtifact(root, gone.digest), true);
  assert.deepEqual(await readdir(root), [kept.digest]);
  assert.equal(await removeArtifact(root, gone.digest), false);
  await assert.rejects(removeArtifact(root, "../etc"), /not an artifact digest/);
});

test("artifactDiskUsage counts allocated bytes, hard links once, missing as 0", async (t) => {
  const dir = await tempDir(t);
  await mkdir(join(dir, "sub"));
  await writeFile(join(dir, "sub", "big"), Buffer.alloc(100_000, 1));
  const before = await artifactDiskUsage(dir);
  assert.ok(before >= 100_000, `${before}`);
  await link(join(dir, "sub", "big"), join(dir, "hardlink"));
  assert.ok((await artifactDiskUsage(dir)) - before < 100_000);
  assert.equal(await artifactDiskUsage(join(dir, "missing")), 0);
});
