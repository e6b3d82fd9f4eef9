import type { Selectable } from "kysely";
import type { Db } from "../db/database.ts";
import type { ApiKey } from "./api-key.types.ts";

export type ApiKeyTables = {
  api_keys: {
    id: string;
    env: string;
    app: string;
    name: string;
    sha256: string;
    created_by: string;
    created_at: number;
    revoked_at: number | null;
    revoked_by: string | null;
  };
};

function keysDb(db: Db) {
  return db.withTables<ApiKeyTables>();
}

/** API keys (migration 0021_api_keys); every write happens inside EventLog.transact with its apikey.* event. */
export class ApiKeyStore {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  async insert(trx: Db, key: ApiKey, sha256: string): Promise<void> {
    await keysDb(trx)
      .insertInto("api_keys")
      .values({
        id: key.id,
        env: key.env,
        app: key.app,
        name: key.name,
        sha256,
        created_by: key.createdBy,
        created_at: key.createdAt,
        revoked_at: null,
        revoked_by: null,
      })
      .execute();
  }

  async revoke(trx: Db, id: string, at: number, by: string): Promise<void> {
    await keysDb(trx).updateTable("api_keys").set({ revoked_at: at, revoked_by: by }).where("id", "=", id).execute();
  }

  /** Every key of the app in the environment, revoked ones too, oldest first. */
  async list(env: string, app: string, db: Db = this.#db): Promise<ApiKey[]> {
    const rows = await keysDb(db)
      .selectFrom("api_keys")
      .selectAll()
      .where("env", "=", env)
      .where("app", "=", app)
      .orderBy("created_at", "asc")
      .orderBy("id", "asc")
      .execute();
    return rows.map(fromRow);
  }

  /** What the edge gets: the active keys' names and hashes. */
  async activeHashes(env: string, app: string): Promise<{ id: string; sha256: string }[]> {
    const rows = await keysDb(this.#db)
      .selectFrom("api_keys")
      .select(["name", "sha256"])
      .where("env", "=", env)
      .where("app", "=", app)
      .where("revoked_at", "is", null)
      .execute();
    return rows.map((r) => ({ id: r.name, sha256: r.sha256 }));
  }
}

function fromRow(row: Selectable<ApiKeyTables["api_keys"]>): ApiKey {
  return {
    id: row.id,
    env: row.env,
    app: row.app,
    name: row.name,
    createdBy: row.created_by,
    createdAt: row.created_at,
    revokedAt: row.revoked_at,
    revokedBy: row.revoked_by,
  };
}
