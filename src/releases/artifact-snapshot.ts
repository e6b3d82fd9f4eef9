import { constants } from "node:fs";
import { copyFile, mkdir, readlink, rename, rm, stat, symlink, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import type { Clock } from "../shared/clock.ts";
import { systemClock } from "../shared/clock.ts";
import { isErrno, removeArtifact, sweepLeftovers } from "./artifact-gc.ts";
import { TMP_PREFIX, artifactPaths, mapLimit, randomSuffix } from "./artifact-layout.ts";
import type { ListingEntry } from "./artifact-listing.ts";
import { digestOfListing, formatListing, listTree } from "./artifact-listing.ts";

/**
 * Content-addressed snapshots of an app's source directory. The listing rules (what is
 * hashed, what is skipped, empty dirs ignored) are in artifact-listing.ts; this file makes
 * the copy crash-safe: copy into `.tmp-*`, check, then one atomic rename to `<digest>`.
 */

export interface SnapshotOptions {
  sourceDir: string;
  artifactsRoot: string;
  /** Extra names skipped at any depth (node_modules, .git, .rampart always are). */
  exclude?: readonly string[];
  /** Where the path came from, for the error message, e.g. `apps.web.source`. */
  what?: string;
  clock?: Clock;
  /** `.tmp-*` dirs older than this are a crashed copy and are removed. Default 1 hour. */
  staleAfterMs?: number;
  concurrency?: number;
  /** The file copier; a seam for tests (default: fs.copyFile, reflink when the fs can). */
  copyFile?: (from: string, to: string) => Promise<void>;
}

export interface SnapshotResult {
  digest: string;
  /** The artifact dir `<artifactsRoot>/<digest>`. */
  dir: string;
  /** The copied tree `<dir>/src`, where builds run. */
  srcDir: string;
  /** Files and symlinks in the snapshot. */
  files: number;
  /** Content bytes of the files. */
  bytes: number;
  /** False when an artifact with this digest already existed and nothing was copied. */
  created: boolean;
}

const HOUR = 60 * 60 * 1000;

const defaultCopy = (from: string, to: string): Promise<void> => copyFile(from, to, constants.COPYFILE_FICLONE | constants.COPYFILE_EXCL);

export async function snapshotSource(options: SnapshotOptions): Promise<SnapshotResult> {
  const sourceDir = resolve(options.sourceDir);
  const artifactsRoot = resolve(options.artifactsRoot);
  await assertDirectory(sourceDir, options.what);
  await mkdir(artifactsRoot, { recursive: true });
  const clock = options.clock ?? systemClock;
  await sweepLeftovers(artifactsRoot, clock.now(), options.staleAfterMs ?? HOUR);

  const walk = { exclude: options.exclude, skipDirs: [artifactsRoot], concurrency: options.concurrency };
  const entries = await listTree(sourceDir, walk);
  const digest = digestOfListing(formatListing(entries));
  const paths = artifactPaths(artifactsRoot, digest);
  if (await isComplete(paths.dir)) return result(digest, paths.dir, entries, false);

  const tmp = join(artifactsRoot, `${TMP_PREFIX}${randomSuffix()}`);
  try {
    await copyTree(sourceDir, join(tmp, "src"), entries, options);
    // Re-list the copy: if the source changed while we copied, the copy is what we publish,
    // so its digest must describe the copy, not what we hashed a moment earlier.
    const copied = await listTree(join(tmp, "src"), { concurrency: options.concurrency });
    const listing = formatListing(copied);
    const finalDigest = digestOfListing(listing);
    const finalDir = artifactPaths(artifactsRoot, finalDigest).dir;
    await writeFile(join(tmp, "listing.txt"), listing, { flush: true });
    const published = await publish(tmp, artifactsRoot, finalDigest);
    return result(finalDigest, finalDir, copied, published);
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
}

/** Renames the finished copy into place; false when the same content was already there. */
async function publish(tmp: string, artifactsRoot: string, digest: string): Promise<boolean> {
  const { dir } = artifactPaths(artifactsRoot, digest);
  for (let attempt = 0; ; attempt++) {
    try {
      await rename(tmp, dir);
      return true;
    } catch (err) {
      if (!isErrno(err, "ENOTEMPTY") && !isErrno(err, "EEXIST")) throw err;
      // Someone published the same content first: theirs is as good as ours.
      if (await isComplete(dir)) {
        await rm(tmp, { recursive: true, force: true });
        return false;
      }
      // An incomplete dir under a digest was not made by a snapshot (renames are atomic):
      // move it aside once and take its place.
      if (attempt > 0) throw err;
      await removeArtifact(artifactsRoot, digest);
    }
  }
}

async function assertDirectory(path: string, what: string | undefined): Promise<void> {
  const suffix = what === undefined ? "" : ` (${what})`;
  let info;
  try {
    info = await stat(path);
  } catch (err) {
    if (isErrno(err, "ENOENT") || isErrno(err, "ENOTDIR")) {
      throw new Error(`source directory "${path}" does not exist${suffix}`);
    }
    throw err;
  }
  if (!info.isDirectory()) {
    throw new Error(`source directory "${path}" is not a directory; it must be one${suffix}`);
  }
}

async function isComplete(dir: string): Promise<boolean> {
  try {
    const [src, listing] = await Promise.all([stat(join(dir, "src")), stat(join(dir, "listing.txt"))]);
    return src.isDirectory() && listing.isFile();
  } catch {
    return false;
  }
}

async function copyTree(from: string, to: string, entries: readonly ListingEntry[], options: SnapshotOptions): Promise<void> {
  await mkdir(to, { recursive: true });
  // Create each parent once, shallow first, before the parallel copies need them.
  const dirs = [...new Set(entries.map((e) => dirname(e.path)).filter((d) => d !== "."))].sort();
  for (const dir of dirs) await mkdir(join(to, dir), { recursive: true });
  const copy = options.copyFile ?? defaultCopy;
  await mapLimit(entries, options.concurrency ?? 16, async (entry) => {
    const src = join(from, entry.path);
    const dest = join(to, entry.path);
    if (entry.type === "link") await symlink(await readlink(src), dest);
    else await copy(src, dest);
  });
}

function result(digest: string, dir: string, entries: readonly ListingEntry[], created: boolean): SnapshotResult {
  let bytes = 0;
  for (const e of entries) if (e.type === "file") bytes += e.size;
  return { digest, dir, srcDir: join(dir, "src"), files: entries.length, bytes, created };
}
