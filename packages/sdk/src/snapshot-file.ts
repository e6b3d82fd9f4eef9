/** Reading and writing snapshots on disk: bootstrap files and the backup the SDK keeps for a cold start without the server. */
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import type { FlagSnapshot } from "./flag-data.ts";

/** A structural check of data from outside (file, network): enough to refuse what is not a snapshot at all. */
export function asSnapshot(data: unknown): FlagSnapshot {
  const s = data as Partial<FlagSnapshot> | null;
  if (s === null || typeof s !== "object") throw new Error("flag snapshot: expected a JSON object");
  if (s.schema !== 1) throw new Error(`flag snapshot: schema must be 1, got ${JSON.stringify(s.schema)}`);
  if (typeof s.env !== "string") throw new Error("flag snapshot: env must be a string");
  if (typeof s.version !== "number" || !Number.isFinite(s.version)) throw new Error("flag snapshot: version must be a number");
  if (!Array.isArray(s.flags)) throw new Error("flag snapshot: flags must be an array");
  if (!Array.isArray(s.segments)) throw new Error("flag snapshot: segments must be an array");
  for (const f of s.flags) {
    if (f === null || typeof f !== "object" || typeof f.key !== "string" || !Array.isArray(f.variations) || !Array.isArray(f.rules)) {
      throw new Error(`flag snapshot: flag ${JSON.stringify((f as { key?: unknown } | null)?.key)} is malformed`);
    }
  }
  return s as FlagSnapshot;
}

export function readSnapshotFile(path: string): FlagSnapshot {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new Error(`cannot read flag snapshot file ${path}: ${(err as Error).message}`);
  }
  try {
    return asSnapshot(JSON.parse(text));
  } catch (err) {
    throw new Error(`${path}: ${(err as Error).message}`);
  }
}

/** Write-then-rename, so a crash never leaves a half-written backup that would break the next cold start. */
export function writeSnapshotFile(path: string, snapshot: FlagSnapshot): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(snapshot));
  renameSync(tmp, path);
}
