import { randomBytes } from "node:crypto";
import { rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";

/**
 * On-disk layout of the artifact store:
 *
 *   <artifactsRoot>/<digest>/src/          the copied source tree; builds run and keep output here
 *   <artifactsRoot>/<digest>/listing.txt   the canonical listing the digest was computed from
 *   <artifactsRoot>/<digest>/build.json    the build marker (see artifact-build.ts)
 *   <artifactsRoot>/.tmp-<random>/          a snapshot being copied (never looks like an artifact)
 *   <artifactsRoot>/.trash-<random>/        an artifact being deleted
 *
 * A `<digest>` directory only ever appears through an atomic rename of a complete copy,
 * so its existence is the proof that it is complete.
 */

export const DIGEST_PATTERN = /^sha256-[0-9a-f]{64}$/;
export const TMP_PREFIX = ".tmp-";
export const TRASH_PREFIX = ".trash-";

export interface ArtifactPaths {
  dir: string;
  src: string;
  listing: string;
  buildMarker: string;
}

export function isDigest(value: string): boolean {
  return DIGEST_PATTERN.test(value);
}

/** Throws for anything that is not a digest: a digest becomes a path, so it must never be `..`. */
export function assertDigest(value: string): void {
  if (!isDigest(value)) throw new Error(`"${value}" is not an artifact digest (sha256-<64 hex>)`);
}

export function artifactPaths(artifactsRoot: string, digest: string): ArtifactPaths {
  assertDigest(digest);
  const dir = join(artifactsRoot, digest);
  return {
    dir,
    src: join(dir, "src"),
    listing: join(dir, "listing.txt"),
    buildMarker: join(dir, "build.json"),
  };
}

export function randomSuffix(): string {
  return randomBytes(8).toString("hex");
}

/** Write-then-rename, so readers see the old file or the new one, never a torn one. */
export async function writeFileAtomic(path: string, data: string): Promise<void> {
  const tmp = `${path}.tmp-${randomSuffix()}`;
  try {
    await writeFile(tmp, data, { flush: true });
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/**
 * Runs `fn` over `items` with at most `limit` in flight; results keep the input order.
 * On the first failure no new items start, and it rejects only once the running ones have
 * settled, so a caller can safely clean up (e.g. rm a temp dir) without racing a worker.
 */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  // One iterator shared by all workers: each next() hands out a distinct item.
  const queue = items.entries();
  let failed = false;
  const worker = async (): Promise<void> => {
    for (const [index, item] of queue) {
      if (failed) return;
      try {
        results[index] = await fn(item, index);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  const count = Math.max(1, Math.min(limit, items.length));
  const settled = await Promise.allSettled(Array.from({ length: count }, worker));
  for (const outcome of settled) if (outcome.status === "rejected") throw outcome.reason;
  return results;
}
