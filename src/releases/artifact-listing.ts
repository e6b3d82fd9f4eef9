import { createHash } from "node:crypto";
import { constants } from "node:fs";
import { open, readdir, readFile, readlink } from "node:fs/promises";
import { join, resolve } from "node:path";
import ignore, { type Ignore } from "ignore";
import { mapLimit } from "./artifact-layout.ts";

/**
 * The canonical listing of a source tree, and its digest.
 *
 * One line per entry, sorted by relative path: `<type> <mode> <relpath> <sha256>\n`
 *   file 644 server.js <sha256 of content>
 *   file 755 bin/start <sha256 of content>      (any x bit set → 755; other bits are not kept)
 *   link 777 current <sha256 of the link target text>
 * Paths use `/`; a `\` or a newline in a name is escaped (`\\`, `\n`) so every entry stays
 * one line. Empty directories are not entries: they do not change the digest and are not
 * copied (like git). Sockets, FIFOs and devices are skipped: they cannot be snapshotted.
 */

export const DEFAULT_EXCLUDES: readonly string[] = ["node_modules", ".git", ".rampart", ".venv", "__pycache__"];

/**
 * Files whose gitignore-style patterns leave paths out of an artifact, in the directory they sit in and below, as
 * git reads .gitignore: so a local deploy and a deploy packed on a laptop or in CI make the same artifact.
 */
export const IGNORE_FILES: readonly string[] = [".gitignore", ".rampartignore"];

export interface ListingEntry {
  type: "file" | "link";
  mode: 644 | 755 | 777;
  /** Relative path with `/` separators (unescaped). */
  path: string;
  sha256: string;
  /** Content bytes for files, target length for links. */
  size: number;
}

export interface WalkOptions {
  /** Gitignore-style patterns (the manifest's `exclude:`), on top of DEFAULT_EXCLUDES and the ignore files. */
  exclude?: readonly string[];
  /** Absolute directories never descended into (e.g. an artifacts root inside the source). */
  skipDirs?: readonly string[];
  concurrency?: number;
}

const CHUNK = 1 << 20;

interface ScopedIgnore {
  /** The directory the patterns were read in, relative to the root ("" for the root). */
  base: string;
  rules: Ignore;
}

async function readIgnoreFiles(absDir: string, base: string): Promise<ScopedIgnore | null> {
  const texts = await Promise.all(IGNORE_FILES.map((name) => readFile(join(absDir, name), "utf8").catch(() => "")));
  const text = texts.join("\n");
  return text.trim() === "" ? null : { base, rules: ignore().add(text) };
}

function ignored(scopes: readonly ScopedIgnore[], rel: string, isDir: boolean): boolean {
  for (const scope of scopes) {
    const inScope = scope.base === "" ? rel : rel.slice(scope.base.length + 1);
    if (scope.rules.ignores(isDir ? `${inScope}/` : inScope)) return true;
  }
  return false;
}

export async function listTree(root: string, options: WalkOptions = {}): Promise<ListingEntry[]> {
  const excluded = new Set(DEFAULT_EXCLUDES);
  const skipDirs = new Set((options.skipDirs ?? []).map((dir) => resolve(dir)));
  const pending: { type: "file" | "link"; path: string; abs: string }[] = [];
  const manifestRules: ScopedIgnore[] = options.exclude?.length ? [{ base: "", rules: ignore().add([...options.exclude]) }] : [];

  const walk = async (absDir: string, relDir: string, inherited: readonly ScopedIgnore[]): Promise<void> => {
    const own = await readIgnoreFiles(absDir, relDir);
    const scopes = own ? [...inherited, own] : inherited;
    const dirents = await readdir(absDir, { withFileTypes: true });
    for (const dirent of dirents) {
      if (excluded.has(dirent.name)) continue;
      const abs = join(absDir, dirent.name);
      const rel = relDir === "" ? dirent.name : `${relDir}/${dirent.name}`;
      if (ignored(scopes, rel, dirent.isDirectory())) continue;
      if (dirent.isDirectory()) {
        if (!skipDirs.has(resolve(abs))) await walk(abs, rel, scopes);
      } else if (dirent.isFile()) {
        pending.push({ type: "file", path: rel, abs });
      } else if (dirent.isSymbolicLink()) {
        pending.push({ type: "link", path: rel, abs });
      }
    }
  };
  await walk(resolve(root), "", manifestRules);

  const entries = await mapLimit(pending, options.concurrency ?? 16, async (item) =>
    item.type === "link" ? hashLink(item.path, item.abs) : hashFile(item.path, item.abs),
  );
  // Sort the whole list by path (not directory by directory) so `a/b` vs `a-b` is stable.
  return entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

async function hashLink(path: string, abs: string): Promise<ListingEntry> {
  const target = await readlink(abs);
  const sha256 = createHash("sha256").update(target).digest("hex");
  return { type: "link", mode: 777, path, sha256, size: Buffer.byteLength(target) };
}

async function hashFile(path: string, abs: string): Promise<ListingEntry> {
  // O_NOFOLLOW: if the file was swapped for a symlink since readdir, fail rather than
  // hash whatever it points at.
  const handle = await open(abs, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    const stat = await handle.stat();
    const hash = createHash("sha256");
    // Read in bounded chunks: memory stays flat for big files, small files take one read.
    const buffer = Buffer.allocUnsafe(Math.min(Math.max(stat.size, 1), CHUNK));
    let size = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) break;
      hash.update(buffer.subarray(0, bytesRead));
      size += bytesRead;
    }
    const mode = (stat.mode & 0o111) !== 0 ? 755 : 644;
    return { type: "file", mode, path, sha256: hash.digest("hex"), size };
  } finally {
    await handle.close();
  }
}

function escapePath(path: string): string {
  return path.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

export function formatListing(entries: readonly ListingEntry[]): string {
  return entries.map((e) => `${e.type} ${e.mode} ${escapePath(e.path)} ${e.sha256}\n`).join("");
}

export function digestOfListing(listing: string): string {
  return `sha256-${createHash("sha256").update(listing).digest("hex")}`;
}
