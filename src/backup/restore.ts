import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { RampartError } from "../shared/errors.ts";
import { checksums, tar } from "./backup-archive.ts";
import { type BackupManifest, backupManifestSchema } from "./backup.types.ts";

export interface RestoreResult {
  dataDir: string;
  manifest: BackupManifest;
}

const refused = (message: string, hint?: string) => new RampartError("restore_refused", message, { hint });

/**
 * `rampart restore FILE --data DIR`, offline: unpacks into a new (absent or empty) data dir, then checks every file
 * against the manifest's checksums, the database's integrity and its last event, so a restore that ends with exit 0
 * is one `rampart up --data DIR` can start from. A failed restore leaves nothing behind in DIR.
 */
export async function restoreBackup(file: string, target: string): Promise<RestoreResult> {
  const dataDir = resolve(target);
  if (!existsSync(file)) throw refused(`${file} does not exist`, "name a backup archive made by rampart backup (rampart backup --list)");
  if (existsSync(dataDir) && readdirSync(dataDir).length > 0)
    throw refused(
      `${dataDir} is not empty: a restore never overwrites a data dir`,
      `restore into a new dir: rampart restore ${file} --data NEW_DIR`,
    );
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  try {
    await tar(["-xzf", resolve(file), "-C", dataDir, "--no-same-owner"]).catch((error: unknown) => {
      throw refused(`${file} is not a readable backup archive: ${error instanceof Error ? error.message : String(error)}`);
    });
    const manifest = readManifest(dataDir, file);
    verifyFiles(dataDir, manifest, file);
    verifyDatabase(join(dataDir, "rampart.db"), manifest, file);
    rmSync(join(dataDir, "manifest.json"));
    return { dataDir, manifest };
  } catch (error) {
    for (const entry of readdirSync(dataDir)) rmSync(join(dataDir, entry), { recursive: true, force: true });
    throw error;
  }
}

function readManifest(dataDir: string, file: string): BackupManifest {
  const path = join(dataDir, "manifest.json");
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, "utf8"));
  } catch {
    throw refused(`${file} has no readable manifest.json: it is not a Rampart backup`);
  }
  const parsed = backupManifestSchema.safeParse(json);
  if (!parsed.success) throw refused(`${file}'s manifest.json is not a rampart-backup/1 manifest: ${parsed.error.issues[0]?.message}`);
  return parsed.data;
}

function verifyFiles(dataDir: string, manifest: BackupManifest, file: string): void {
  const expected = new Map(manifest.files.map((f) => [f.path, f]));
  const found = checksums(dataDir).filter((f) => f.path !== "manifest.json");
  const problems: string[] = [];
  for (const f of found) {
    const want = expected.get(f.path);
    if (!want) problems.push(`${f.path} is not in the manifest`);
    else if (want.sha256 !== f.sha256 || want.bytes !== f.bytes) problems.push(`${f.path} does not match its checksum`);
    expected.delete(f.path);
  }
  for (const path of expected.keys()) problems.push(`${path} is missing`);
  if (problems.length > 0)
    throw refused(
      `${file} is damaged or altered: ${problems.slice(0, 5).join("; ")}${problems.length > 5 ? ` (+${problems.length - 5} more)` : ""}`,
      "restore from another backup (rampart backup --list)",
    );
}

function verifyDatabase(path: string, manifest: BackupManifest, file: string): void {
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    const check = db.prepare("PRAGMA integrity_check").get();
    if (check?.integrity_check !== "ok")
      throw refused(`${file}'s database fails SQLite's integrity check: ${String(check?.integrity_check)}`);
    const last = db.prepare("SELECT id FROM events ORDER BY id DESC LIMIT 1").get();
    const lastId = last ? Number(last.id) : null;
    if (lastId !== manifest.lastEventId)
      throw refused(`${file}'s database ends at event ${lastId}, its manifest says ${manifest.lastEventId}`);
  } finally {
    db.close();
  }
}
