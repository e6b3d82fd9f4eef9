import type { Selectable } from "kysely";
import type { Db } from "../db/database.ts";
import type { ReleasesTable } from "../db/database.types.ts";
import { type ReleaseStrategy, resolvedAppSchema } from "../config/resolved-manifest.schema.ts";
import { parseJsonAs } from "../shared/checked-json.ts";
import type { ReleaseRecord, ReleaseStatus } from "./release.types.ts";

export type ReleaseStatusPatch = Pick<ReleaseRecord, "status"> & Partial<Pick<ReleaseRecord, "reason" | "liveAt" | "finishedAt">>;

export class ReleaseStore {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  async nextNumber(db: Db, env: string, app: string): Promise<number> {
    const row = await db
      .selectFrom("releases")
      .select((eb) => eb.fn.max("number").as("max"))
      .where("env", "=", env)
      .where("app", "=", app)
      .executeTakeFirst();
    return Number(row?.max ?? 0) + 1;
  }

  async insert(db: Db, release: ReleaseRecord): Promise<void> {
    await db
      .insertInto("releases")
      .values({
        env: release.env,
        app: release.app,
        number: release.number,
        artifact_digest: release.artifactDigest,
        config: JSON.stringify(release.config),
        strategy: release.strategy,
        status: release.status,
        reason: release.reason,
        source_dir: release.sourceDir,
        git_commit: release.git?.commit ?? null,
        git_commit_time: release.git?.commitTime ?? null,
        git_dirty: release.git ? (release.git.dirty ? 1 : 0) : null,
        rollback_of: release.rollbackOf,
        created_by: release.createdBy,
        created_at: release.createdAt,
        live_at: release.liveAt,
        finished_at: release.finishedAt,
      })
      .execute();
  }

  async setStatus(db: Db, env: string, app: string, number: number, patch: ReleaseStatusPatch): Promise<void> {
    await db
      .updateTable("releases")
      .set({ status: patch.status, reason: patch.reason, live_at: patch.liveAt, finished_at: patch.finishedAt })
      .where("env", "=", env)
      .where("app", "=", app)
      .where("number", "=", number)
      .execute();
  }

  async get(env: string, app: string, number: number, db: Db = this.#db): Promise<ReleaseRecord | undefined> {
    const row = await db
      .selectFrom("releases")
      .selectAll()
      .where("env", "=", env)
      .where("app", "=", app)
      .where("number", "=", number)
      .executeTakeFirst();
    return row && fromRow(row);
  }

  async list(env: string, app: string, limit = 100): Promise<ReleaseRecord[]> {
    const rows = await this.#db
      .selectFrom("releases")
      .selectAll()
      .where("env", "=", env)
      .where("app", "=", app)
      .orderBy("number", "desc")
      .limit(limit)
      .execute();
    return rows.map(fromRow);
  }

  async findByStatus(env: string, app: string, status: ReleaseStatus, db: Db = this.#db): Promise<ReleaseRecord | undefined> {
    const row = await db
      .selectFrom("releases")
      .selectAll()
      .where("env", "=", env)
      .where("app", "=", app)
      .where("status", "=", status)
      .orderBy("number", "desc")
      .executeTakeFirst();
    return row && fromRow(row);
  }

  /** The newest release before `number` that was live at some point: the default rollback target. */
  async previousLive(env: string, app: string, number: number): Promise<ReleaseRecord | undefined> {
    const row = await this.#db
      .selectFrom("releases")
      .selectAll()
      .where("env", "=", env)
      .where("app", "=", app)
      .where("number", "<", number)
      .where("live_at", "is not", null)
      .orderBy("number", "desc")
      .executeTakeFirst();
    return row && fromRow(row);
  }

  /** Releases of every app whose artifact must be kept: live, in flight, or recent. */
  async artifactUse(): Promise<{ app: string; digest: string; status: string; createdAt: number }[]> {
    const rows = await this.#db.selectFrom("releases").select(["app", "artifact_digest", "status", "created_at"]).execute();
    return rows.map((r) => ({ app: r.app, digest: r.artifact_digest, status: r.status, createdAt: r.created_at }));
  }
}

function fromRow(row: Selectable<ReleasesTable>): ReleaseRecord {
  return {
    env: row.env,
    app: row.app,
    number: row.number,
    artifactDigest: row.artifact_digest,
    // Written by this store from a validated ResolvedApp: checked again, a row of another version must not pass unseen.
    config: parseJsonAs(resolvedAppSchema, row.config, `releases.config of release ${row.number} of ${row.app} in ${row.env}`),
    strategy: row.strategy as ReleaseStrategy,
    status: row.status as ReleaseStatus,
    reason: row.reason,
    sourceDir: row.source_dir,
    git:
      row.git_commit && row.git_commit_time
        ? { commit: row.git_commit, commitTime: row.git_commit_time, dirty: row.git_dirty === 1 }
        : null,
    rollbackOf: row.rollback_of,
    createdBy: row.created_by,
    createdAt: row.created_at,
    liveAt: row.live_at,
    finishedAt: row.finished_at,
  };
}
