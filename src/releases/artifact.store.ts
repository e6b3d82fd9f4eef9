import type { Db } from "../db/database.ts";

export interface ArtifactRecord {
  digest: string;
  dir: string;
  files: number;
  bytes: number;
  createdAt: number;
  lastUsedAt: number;
  buildStatus: "none" | "built" | "failed";
  buildCommand: string | null;
  buildMs: number | null;
}

export class ArtifactStore {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  /** Records a snapshot, or marks an existing artifact as used again (same content, same artifact). */
  async upsert(db: Db, artifact: Pick<ArtifactRecord, "digest" | "dir" | "files" | "bytes">, now: number): Promise<void> {
    await db
      .insertInto("artifacts")
      .values({ ...artifact, created_at: now, last_used_at: now, build_status: "none", build_command: null, build_ms: null })
      .onConflict((c) => c.column("digest").doUpdateSet({ last_used_at: now }))
      .execute();
  }

  async setBuild(db: Db, digest: string, status: ArtifactRecord["buildStatus"], command: string | null, ms: number | null): Promise<void> {
    await db
      .updateTable("artifacts")
      .set({ build_status: status, build_command: command, build_ms: ms })
      .where("digest", "=", digest)
      .execute();
  }

  async touch(db: Db, digest: string, now: number): Promise<void> {
    await db.updateTable("artifacts").set({ last_used_at: now }).where("digest", "=", digest).execute();
  }

  async get(digest: string): Promise<ArtifactRecord | undefined> {
    const row = await this.#db.selectFrom("artifacts").selectAll().where("digest", "=", digest).executeTakeFirst();
    if (!row) return undefined;
    return {
      digest: row.digest,
      dir: row.dir,
      files: row.files,
      bytes: row.bytes,
      createdAt: row.created_at,
      lastUsedAt: row.last_used_at,
      buildStatus: row.build_status as ArtifactRecord["buildStatus"],
      buildCommand: row.build_command,
      buildMs: row.build_ms,
    };
  }

  async list(): Promise<{ digest: string; lastUsedAt: number }[]> {
    const rows = await this.#db.selectFrom("artifacts").select(["digest", "last_used_at"]).execute();
    return rows.map((r) => ({ digest: r.digest, lastUsedAt: r.last_used_at }));
  }

  async remove(db: Db, digest: string): Promise<void> {
    await db.deleteFrom("artifacts").where("digest", "=", digest).execute();
  }
}
