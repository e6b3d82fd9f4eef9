import type { Selectable } from "kysely";
import type { Db } from "../db/database.ts";
import { oncallDb, type OncallTables } from "./oncall-tables.ts";
import type { StoredOverride } from "./oncall.types.ts";

/** Overrides made over the API; every write happens inside EventLog.transact with its oncall.override_* event. */
export class OverrideStore {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  async insert(trx: Db, o: StoredOverride): Promise<void> {
    await oncallDb(trx)
      .insertInto("oncall_overrides")
      .values({
        id: o.id,
        schedule: o.schedule,
        user: o.user,
        from_at: o.from,
        to_at: o.to,
        reason: o.reason,
        created_by: o.createdBy,
        created_at: o.createdAt,
        removed_at: null,
        removed_by: null,
      })
      .execute();
  }

  async remove(trx: Db, id: string, at: number, by: string): Promise<void> {
    await oncallDb(trx).updateTable("oncall_overrides").set({ removed_at: at, removed_by: by }).where("id", "=", id).execute();
  }

  async get(id: string): Promise<StoredOverride | undefined> {
    const row = await oncallDb(this.#db).selectFrom("oncall_overrides").selectAll().where("id", "=", id).executeTakeFirst();
    return row && fromRow(row);
  }

  /** Overrides not removed that end after `since`, oldest created first (a later one wins where they overlap). */
  async current(since: number): Promise<StoredOverride[]> {
    const rows = await oncallDb(this.#db)
      .selectFrom("oncall_overrides")
      .selectAll()
      .where("to_at", ">", since)
      .where("removed_at", "is", null)
      .orderBy("created_at", "asc")
      .execute();
    return rows.map(fromRow);
  }
}

function fromRow(row: Selectable<OncallTables["oncall_overrides"]>): StoredOverride {
  return {
    id: row.id,
    schedule: row.schedule,
    user: row.user,
    from: row.from_at,
    to: row.to_at,
    reason: row.reason,
    createdBy: row.created_by,
    createdAt: row.created_at,
  };
}
