import { lstat, readdir, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { TMP_PREFIX, TRASH_PREFIX, artifactPaths, randomSuffix } from "./artifact-layout.ts";

/**
 * Deleting artifacts. Which ones to delete is the caller's decision (it knows from the
 * database what is in use); this file only makes the deletion crash-safe and measures size.
 */

/**
 * Removes one artifact. It is first renamed out of its digest name, so a crash halfway
 * through the rm leaves a `.trash-*` dir (swept by the next snapshot), never a half-deleted
 * tree that still looks like a valid artifact. Returns false when it did not exist.
 */
export async function removeArtifact(artifactsRoot: string, digest: string): Promise<boolean> {
  const { dir } = artifactPaths(artifactsRoot, digest);
  const trash = join(artifactsRoot, `${TRASH_PREFIX}${randomSuffix()}`);
  try {
    await rename(dir, trash);
  } catch (err) {
    if (isErrno(err, "ENOENT")) return false;
    throw err;
  }
  await rm(trash, { recursive: true, force: true });
  return true;
}

/**
 * Bytes the tree occupies on disk (allocated blocks, like `du`), counting hard-linked
 * files once and not following symlinks. A missing path is 0.
 */
export async function artifactDiskUsage(dir: string): Promise<number> {
  const seen = new Set<string>();
  const visit = async (path: string): Promise<number> => {
    let stat;
    try {
      stat = await lstat(path, { bigint: true });
    } catch (err) {
      if (isErrno(err, "ENOENT")) return 0;
      throw err;
    }
    const inode = `${stat.dev}:${stat.ino}`;
    if (seen.has(inode)) return 0;
    seen.add(inode);
    let total = Number(stat.blocks) * 512;
    if (stat.isDirectory()) {
      for (const name of await readdir(path)) total += await visit(join(path, name));
    }
    return total;
  };
  return visit(dir);
}

export interface ArtifactUse {
  digest: string;
  /** When a release last used it; null (never used) sorts as oldest. */
  lastUsedAt: Date | string | number | null;
}

/**
 * Pure policy: keeps the `keep` most recently used artifacts plus every one in use and
 * returns the digests to delete, oldest first. In-use artifacts do not count against
 * `keep`, so a long-running old release never pushes newer rollback targets out.
 */
export function pickArtifactsToCollect(input: { artifacts: readonly ArtifactUse[]; inUse: ReadonlySet<string>; keep: number }): string[] {
  const latest = new Map<string, number>();
  for (const { digest, lastUsedAt } of input.artifacts) {
    const at = toMillis(lastUsedAt);
    latest.set(digest, Math.max(at, latest.get(digest) ?? Number.NEGATIVE_INFINITY));
  }
  const candidates = [...latest]
    .filter(([digest]) => !input.inUse.has(digest))
    // Newest first; ties broken by digest so the choice is deterministic.
    .sort(([da, a], [db, b]) => b - a || (da < db ? -1 : da > db ? 1 : 0));
  const keep = Math.max(0, Math.floor(input.keep));
  return candidates
    .slice(keep)
    .reverse()
    .map(([digest]) => digest);
}

function toMillis(value: Date | string | number | null): number {
  if (value === null) return Number.NEGATIVE_INFINITY;
  const ms = value instanceof Date ? value.getTime() : typeof value === "number" ? value : Date.parse(value);
  return Number.isNaN(ms) ? Number.NEGATIVE_INFINITY : ms;
}

export function isErrno(err: unknown, code: string): boolean {
  return err instanceof Error && "code" in err && err.code === code;
}

/** Best-effort sweep of leftovers: all `.trash-*`, and `.tmp-*` older than `olderThanMs`. */
export async function sweepLeftovers(artifactsRoot: string, now: number, olderThanMs: number): Promise<string[]> {
  const removed: string[] = [];
  let names: string[];
  try {
    names = await readdir(artifactsRoot);
  } catch {
    return removed;
  }
  for (const name of names) {
    const isTrash = name.startsWith(TRASH_PREFIX);
    if (!isTrash && !name.startsWith(TMP_PREFIX)) continue;
    const path = join(artifactsRoot, name);
    try {
      // A tmp dir younger than the limit may be another process's copy in progress.
      if (!isTrash && now - (await lstat(path)).mtimeMs < olderThanMs) continue;
      await rm(path, { recursive: true, force: true });
      removed.push(name);
    } catch {
      // Another sweeper got there first, or it is still being written: next time.
    }
  }
  return removed;
}
