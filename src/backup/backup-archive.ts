import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { sql } from "kysely";
import type { Db } from "../db/database.ts";
import type { BackupManifest } from "./backup.types.ts";

/**
 * What a backup leaves out, written into its manifest so whoever restores knows. The keys stay outside the data dir on
 * purpose (a stolen backup must not decrypt secrets or forge checkpoints); the rest is rebuilt or re-adopted by `up`.
 */
export const EXCLUDED = [
  "the secrets key (~/.config/rampart/secrets.key) and the audit signing key (~/.config/rampart/audit-key): kept outside the data dir, back them up separately",
  "credentials.json, otlp-ingest-token: written anew by `rampart up`",
  "logs/ (instance and build logs) and telemetry/ (log index, traces): observations, not state",
  "instances/, run/, control-plane.lock: the running processes of this machine",
  "artifacts not referenced by a release in the database copy",
];

/**
 * Takes a consistent copy of the data dir's state into `staging` while the platform runs: the checkpoints first (each
 * names an event that is already committed), then the database (`VACUUM INTO` on the platform's own connection, so it
 * sees exactly the committed transactions), then the artifacts the copied releases reference (immutable once built).
 */
export async function snapshotDataDir(
  db: Db,
  dataDir: string,
  staging: string,
): Promise<Omit<BackupManifest, "createdAt" | "rampartVersion">> {
  mkdirSync(join(staging, "audit"), { recursive: true, mode: 0o700 });
  const checkpoints = join(dataDir, "audit", "checkpoints.jsonl");
  if (existsSync(checkpoints)) {
    // Only whole lines: the file is appended with fsync, a line being written is not a checkpoint yet.
    const text = readFileSync(checkpoints, "utf8");
    writeFileSync(join(staging, "audit", "checkpoints.jsonl"), text.slice(0, text.lastIndexOf("\n") + 1), { mode: 0o600 });
  }
  const publicKey = join(dataDir, "audit", "public-key.pem");
  if (existsSync(publicKey)) cpSync(publicKey, join(staging, "audit", "public-key.pem"));
  const dbCopy = join(staging, "rampart.db");
  await sql`VACUUM INTO ${dbCopy}`.execute(db);
  const { digests, lastEventId, lastEventHash } = readCopy(dbCopy);
  for (const digest of digests) {
    const from = join(dataDir, "artifacts", digest);
    if (existsSync(from)) cpSync(from, join(staging, "artifacts", digest), { recursive: true, verbatimSymlinks: true });
  }
  return { format: "rampart-backup/1", lastEventId, lastEventHash, files: checksums(staging), excluded: EXCLUDED };
}

function readCopy(path: string): { digests: string[]; lastEventId: number | null; lastEventHash: string | null } {
  const copy = new DatabaseSync(path, { readOnly: true });
  try {
    const digests = copy
      .prepare("SELECT DISTINCT artifact_digest AS d FROM releases")
      .all()
      .map((r) => String(r.d));
    const last = copy.prepare("SELECT id, hash FROM events ORDER BY id DESC LIMIT 1").get();
    return {
      digests,
      lastEventId: last ? Number(last.id) : null,
      lastEventHash: last && typeof last.hash === "string" ? last.hash : null,
    };
  } finally {
    copy.close();
  }
}

/** Every regular file under `root`, with its size and sha256, sorted by path. */
export function checksums(root: string): BackupManifest["files"] {
  return filesUnder(root)
    .map((path) => {
      const bytes = readFileSync(path);
      return { path: relative(root, path), bytes: bytes.length, sha256: sha256(bytes) };
    })
    .sort((a, b) => a.path.localeCompare(b.path));
}

export function sha256(bytes: Buffer): string {
  return createHash("sha256").update(bytes).digest("hex");
}

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...filesUnder(path));
    else if (entry.isFile()) out.push(path);
  }
  return out;
}

/** Runs tar (GNU tar, in every Debian base system) without blocking the control plane's event loop. */
export function tar(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn("tar", args, { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", (error) => reject(new Error(`could not run tar: ${error.message}; install it (apt-get install tar)`)));
    child.on("close", (code) =>
      code === 0 ? resolve() : reject(new Error(`tar ${args[0]} failed (exit ${code}): ${stderr.trim().slice(0, 500)}`)),
    );
  });
}

export function fileSha256(path: string): { bytes: number; sha256: string } {
  const bytes = readFileSync(path);
  return { bytes: statSync(path).size, sha256: sha256(bytes) };
}
