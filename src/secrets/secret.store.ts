import type { Db } from "../db/database.ts";
import { secretDb, type SecretTables } from "./secret-tables.ts";

export type DataKeyRow = SecretTables["secret_data_keys"];
export type SecretVersionRow = SecretTables["secret_versions"];

/** Rows only; every write takes the caller's transaction (the service writes each with its event). */
export class SecretStore {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  async dataKey(env: string, trx: Db = this.#db): Promise<DataKeyRow | undefined> {
    return secretDb(trx).selectFrom("secret_data_keys").selectAll().where("env", "=", env).executeTakeFirst();
  }

  async dataKeys(trx: Db = this.#db): Promise<DataKeyRow[]> {
    return secretDb(trx).selectFrom("secret_data_keys").selectAll().orderBy("env").execute();
  }

  async insertDataKey(trx: Db, row: DataKeyRow): Promise<void> {
    await secretDb(trx).insertInto("secret_data_keys").values(row).execute();
  }

  async rewrapDataKey(trx: Db, env: string, wrapped: string, kekId: string, at: number): Promise<void> {
    await secretDb(trx).updateTable("secret_data_keys").set({ wrapped, kek_id: kekId, rotated_at: at }).where("env", "=", env).execute();
  }

  async insertVersion(trx: Db, row: SecretVersionRow): Promise<void> {
    await secretDb(trx).insertInto("secret_versions").values(row).execute();
  }

  async latestVersion(trx: Db, env: string, app: string, name: string): Promise<SecretVersionRow | undefined> {
    return this.#versionsOf(trx, env, app, name).orderBy("version", "desc").limit(1).executeTakeFirst();
  }

  async version(env: string, app: string, name: string, version: number): Promise<SecretVersionRow | undefined> {
    return this.#versionsOf(this.#db, env, app, name).where("version", "=", version).executeTakeFirst();
  }

  async history(env: string, app: string, name: string): Promise<SecretVersionRow[]> {
    return this.#versionsOf(this.#db, env, app, name).orderBy("version", "desc").execute();
  }

  /** The newest version of each name of an app (or of every app) in an environment, tombstones included. */
  async latest(env: string, app?: string): Promise<SecretVersionRow[]> {
    let query = secretDb(this.#db).selectFrom("secret_versions").selectAll().where("env", "=", env);
    if (app !== undefined) query = query.where("app", "=", app);
    const rows = await query.orderBy("app").orderBy("name").orderBy("version", "desc").execute();
    const seen = new Set<string>();
    return rows.filter((row) => {
      const key = `${row.app}\u0000${row.name}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  }

  #versionsOf(trx: Db, env: string, app: string, name: string) {
    return secretDb(trx).selectFrom("secret_versions").selectAll().where("env", "=", env).where("app", "=", app).where("name", "=", name);
  }
}
