import type { Selectable } from "kysely";
import type { Db } from "../../db/database.ts";
import { parseJsonAs } from "../../shared/checked-json.ts";
import { type AlertNotifyTables, notifyDb } from "./notify-tables.ts";
import { silenceSchema, type Silence } from "./silence.types.ts";

const matchersSchema = silenceSchema.shape.matchers;

/** Silences; every write happens inside EventLog.transact with its silence.* event. */
export class SilenceStore {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  async insert(trx: Db, s: Silence): Promise<void> {
    await notifyDb(trx)
      .insertInto("alert_silences")
      .values({
        id: s.id,
        matchers: JSON.stringify(s.matchers),
        author: s.author,
        reason: s.reason,
        starts_at: s.startsAt,
        ends_at: s.endsAt,
        expired_at: s.expiredAt,
        expired_by: s.expiredBy,
      })
      .execute();
  }

  async expire(trx: Db, id: string, at: number, by: string): Promise<void> {
    await notifyDb(trx).updateTable("alert_silences").set({ expired_at: at, expired_by: by }).where("id", "=", id).execute();
  }

  async get(id: string, db: Db = this.#db): Promise<Silence | undefined> {
    const row = await notifyDb(db).selectFrom("alert_silences").selectAll().where("id", "=", id).executeTakeFirst();
    return row && fromRow(row);
  }

  /** Silences that have not ended by `since` (active or scheduled), newest first. */
  async current(since: number): Promise<Silence[]> {
    const rows = await notifyDb(this.#db)
      .selectFrom("alert_silences")
      .selectAll()
      .where("ends_at", ">", since)
      .where((eb) => eb.or([eb("expired_at", "is", null), eb("expired_at", ">", since)]))
      .orderBy("starts_at", "desc")
      .execute();
    return rows.map(fromRow);
  }

  async all(limit: number): Promise<Silence[]> {
    const rows = await notifyDb(this.#db).selectFrom("alert_silences").selectAll().orderBy("starts_at", "desc").limit(limit).execute();
    return rows.map(fromRow);
  }
}

function fromRow(row: Selectable<AlertNotifyTables["alert_silences"]>): Silence {
  return {
    id: row.id,
    matchers: parseJsonAs(matchersSchema, row.matchers, "alert_silences.matchers"),
    author: row.author,
    reason: row.reason,
    startsAt: row.starts_at,
    endsAt: row.ends_at,
    expiredAt: row.expired_at,
    expiredBy: row.expired_by,
  };
}
