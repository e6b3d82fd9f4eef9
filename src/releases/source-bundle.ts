import { createHash } from "node:crypto";
import { constants } from "node:fs";
import { mkdir, open, readFile, readlink, symlink } from "node:fs/promises";
import { join, posix } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { z } from "zod";
import { RampartError } from "../shared/errors.ts";
import { digestOfListing, formatListing, type ListingEntry, listTree, type WalkOptions } from "./artifact-listing.ts";

/**
 * A source tree sent to the server for a deploy from elsewhere (a laptop, CI): gzip of one JSON line that is the
 * artifact's own listing (path, type, mode, size, sha256 per entry; link targets too), then every file's bytes in
 * listing order. The server checks every entry and every byte against that listing before anything is used, so
 * the artifact it makes has exactly the digest the client computed, as a local deploy of the same tree would.
 * Not tar: only what an artifact can hold (files and relative symlinks) can be expressed at all.
 */
export interface SourceBundle {
  gzip: Buffer;
  /** The artifact digest the server must arrive at (sha256-… of the listing). */
  digest: string;
  files: number;
  /** Uncompressed content bytes. */
  bytes: number;
}

export interface BundleLimits {
  maxCompressedBytes: number;
  maxBytes: number;
  maxFiles: number;
}

export const defaultBundleLimits: BundleLimits = { maxCompressedBytes: 256 * 1024 * 1024, maxBytes: 1024 * 1024 * 1024, maxFiles: 100_000 };

const entrySchema = z.strictObject({
  type: z.enum(["file", "link"]),
  mode: z.union([z.literal(644), z.literal(755), z.literal(777)]),
  path: z.string().min(1).max(4096),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  size: z.number().int().min(0),
  target: z.string().min(1).max(4096).optional(),
});
const headerSchema = z.strictObject({ format: z.literal("rampart-source/1"), entries: z.array(entrySchema) });
type BundleEntry = z.infer<typeof entrySchema>;

export async function packSource(dir: string, walk: WalkOptions = {}): Promise<SourceBundle> {
  const listing = await listTree(dir, walk);
  const entries: BundleEntry[] = await Promise.all(
    listing.map(async (e) => (e.type === "link" ? { ...e, target: await readlink(join(dir, e.path)) } : { ...e })),
  );
  const parts: Buffer[] = [Buffer.from(`${JSON.stringify({ format: "rampart-source/1", entries })}\n`)];
  let bytes = 0;
  for (const e of entries) {
    if (e.type !== "file") continue;
    const content = await readFile(join(dir, e.path));
    // The listing was hashed a moment ago; a file changed since would make the server refuse the bundle.
    if (sha256(content) !== e.sha256)
      throw new RampartError("source_changed", `${e.path} changed while it was being packed`, { hint: "deploy again" });
    parts.push(content);
    bytes += content.length;
  }
  return {
    gzip: gzipSync(Buffer.concat(parts), { level: 6 }),
    digest: digestOfListing(formatListing(listing)),
    files: entries.length,
    bytes,
  };
}

const refuse = (message: string, hint = "pack the source with `rampart deploy --source DIR`") =>
  new RampartError("invalid_bundle", message, { hint });

/** Relative, normalised, inside the root: no `..`, no absolute path, no empty or `.` segment, no NUL or backslash. */
function assertSafePath(path: string): void {
  if (
    path.includes("\0") ||
    path.includes("\\") ||
    path.startsWith("/") ||
    posix.normalize(path) !== path ||
    path.split("/").some((s) => s === "" || s === "." || s === "..")
  )
    throw refuse(`the bundle names a path outside its root or not in normal form: ${JSON.stringify(path.slice(0, 200))}`);
}

function assertLinkInside(path: string, target: string): void {
  if (target.includes("\0") || posix.isAbsolute(target))
    throw refuse(`${path} links to an absolute path (${JSON.stringify(target.slice(0, 200))}); links must stay inside the source`);
  const resolved = posix.normalize(posix.join(posix.dirname(path), target));
  if (resolved === ".." || resolved.startsWith("../"))
    throw refuse(`${path} links outside the source (${JSON.stringify(target.slice(0, 200))})`);
}

/**
 * Checks a bundle whole (limits, paths, links, every byte against the listing) and writes it into `target`, an empty
 * directory of the server's. Returns the artifact digest it describes; the caller snapshots `target` as usual.
 */
export async function unpackSource(
  gzip: Buffer,
  target: string,
  limits: BundleLimits = defaultBundleLimits,
): Promise<{ digest: string; files: number; bytes: number }> {
  if (gzip.length > limits.maxCompressedBytes)
    throw refuse(
      `the bundle is ${gzip.length} bytes; at most ${limits.maxCompressedBytes} are taken`,
      "leave build output and dependencies out (.rampartignore, exclude:)",
    );
  let raw: Buffer;
  try {
    // maxOutputLength bounds a decompression bomb before it fills memory.
    raw = gunzipSync(gzip, { maxOutputLength: limits.maxBytes + 64 * 1024 * 1024 });
  } catch (error) {
    const tooBig = error instanceof RangeError || (error as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE";
    throw refuse(tooBig ? `the bundle unpacks to more than ${limits.maxBytes} bytes` : "the bundle is not valid gzip");
  }
  const newline = raw.indexOf(0x0a);
  if (newline < 0) throw refuse("the bundle has no listing line");
  let header: z.infer<typeof headerSchema>;
  try {
    header = headerSchema.parse(JSON.parse(raw.subarray(0, newline).toString("utf8")));
  } catch {
    throw refuse("the bundle's listing is not a rampart-source/1 listing");
  }
  const entries = header.entries;
  if (entries.length > limits.maxFiles)
    throw refuse(
      `the bundle has ${entries.length} entries; at most ${limits.maxFiles} are taken`,
      "leave generated files out (.rampartignore, exclude:)",
    );
  const seen = new Set<string>();
  let total = 0;
  for (const e of entries) {
    assertSafePath(e.path);
    if (seen.has(e.path)) throw refuse(`the bundle lists ${e.path} twice`);
    seen.add(e.path);
    if (e.type === "link") {
      if (e.target === undefined) throw refuse(`${e.path} is a link without a target`);
      assertLinkInside(e.path, e.target);
      if (sha256(Buffer.from(e.target)) !== e.sha256 || Buffer.byteLength(e.target) !== e.size)
        throw refuse(`${e.path}'s link target does not match its listing`);
    } else total += e.size;
  }
  // A path under another entry that is a file or link would write through it.
  for (const e of entries) {
    for (let d = posix.dirname(e.path); d !== "."; d = posix.dirname(d))
      if (seen.has(d)) throw refuse(`${e.path} is inside ${d}, which is a file or link`);
  }
  if (total > limits.maxBytes) throw refuse(`the bundle holds ${total} bytes; at most ${limits.maxBytes} are taken`);
  if (raw.length - newline - 1 !== total)
    throw refuse(`the bundle has ${raw.length - newline - 1} content bytes where its listing says ${total}`);

  let offset = newline + 1;
  const files = entries.filter((e) => e.type === "file");
  for (const dir of new Set(entries.map((e) => posix.dirname(e.path)).filter((d) => d !== ".")))
    await mkdir(join(target, dir), { recursive: true });
  for (const e of files) {
    const content = raw.subarray(offset, offset + e.size);
    offset += e.size;
    if (sha256(content) !== e.sha256) throw refuse(`${e.path} does not match its listed sha256`);
    // O_EXCL | O_NOFOLLOW: never through a link, never over something already there. Links are made last.
    const handle = await open(
      join(target, e.path),
      constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
      e.mode === 755 ? 0o755 : 0o644,
    );
    try {
      await handle.writeFile(content);
    } finally {
      await handle.close();
    }
  }
  for (const e of entries) if (e.type === "link" && e.target !== undefined) await symlink(e.target, join(target, e.path));
  const listing: ListingEntry[] = entries.map(({ type, mode, path, sha256: hash, size }) => ({ type, mode, path, sha256: hash, size }));
  listing.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { digest: digestOfListing(formatListing(listing)), files: entries.length, bytes: total };
}

function sha256(bytes: Buffer): string {
  return createHash("sha256").update(bytes).digest("hex");
}
