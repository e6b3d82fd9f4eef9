import { z } from "zod";
import type { Db } from "../../db/database.ts";
import { parseJsonAs } from "../../shared/checked-json.ts";
import { notifyDb } from "./notify-tables.ts";

/** What a group was last told: when, and which alerts were firing in it. */
export interface GroupNotified {
  lastSentAt: number;
  firing: readonly string[];
}

const firingSchema = z.array(z.string());

/**
 * Alertmanager's notification log (nflog): kept in memory for the dispatcher's synchronous reads, written through
 * to the database so a restarted control plane does not notify again what it already had (eventless bookkeeping).
 */
export class NotifyLogStore {
  readonly #db: Db;
  readonly #entries = new Map<string, GroupNotified>();

  constructor(db: Db) {
    this.#db = db;
  }

  async load(): Promise<void> {
    const rows = await notifyDb(this.#db).selectFrom("alert_notify_log").selectAll().execute();
    this.#entries.clear();
    for (const row of rows)
      this.#entries.set(row.group_key, {
        lastSentAt: row.last_sent_at,
        firing: parseJsonAs(firingSchema, row.firing, "alert_notify_log.firing"),
      });
  }

  get(groupKey: string): GroupNotified | undefined {
    return this.#entries.get(groupKey);
  }

  async record(groupKey: string, entry: GroupNotified): Promise<void> {
    this.#entries.set(groupKey, entry);
    const values = { group_key: groupKey, last_sent_at: entry.lastSentAt, firing: JSON.stringify(entry.firing) };
    await notifyDb(this.#db)
      .insertInto("alert_notify_log")
      .values(values)
      .onConflict((oc) => oc.column("group_key").doUpdateSet({ last_sent_at: values.last_sent_at, firing: values.firing }))
      .execute();
  }

  /** Entries older than any repeat interval could honour are of no use. */
  async prune(before: number): Promise<void> {
    for (const [key, entry] of this.#entries) if (entry.lastSentAt < before) this.#entries.delete(key);
    await notifyDb(this.#db).deleteFrom("alert_notify_log").where("last_sent_at", "<", before).execute();
  }
}
