import type { ChainedEvent } from "../access/audit-chain.ts";
import type { Db } from "../db/database.ts";
import { parseData } from "../events/event.store.ts";
import type { EventType, RampartEvent } from "../events/event.types.ts";

export interface AuditQuery {
  since?: number;
  actor?: string;
  /** An event type, or a prefix ending in '.'. */
  type?: string;
  limit: number;
}

/** Reads the events table for the audit: the chain in id order, and the audit view. Writes nothing. */
export class AuditStore {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  /** The stored events after `afterId`, in id order, with their recorded hashes. */
  async chainPage(afterId: number, limit: number): Promise<ChainedEvent[]> {
    const rows = await this.#db.selectFrom("events").selectAll().where("id", ">", afterId).orderBy("id").limit(limit).execute();
    // An event with no hash (written around the chain) fails verification as changed: "" never matches.
    return rows.map((row) => ({ ...row, data: parseData(row.data), hash: row.hash ?? "" }));
  }

  async head(): Promise<{ id: number; hash: string } | null> {
    const row = await this.#db.selectFrom("events").select(["id", "hash"]).orderBy("id", "desc").limit(1).executeTakeFirst();
    return row ? { id: row.id, hash: row.hash ?? "" } : null;
  }

  /** The event with this id, or else the first one after it (to name where a removed range ends). */
  async atOrAfter(id: number): Promise<{ id: number; type: string; at: number } | null> {
    const row = await this.#db
      .selectFrom("events")
      .select(["id", "type", "at"])
      .where("id", ">=", id)
      .orderBy("id")
      .limit(1)
      .executeTakeFirst();
    return row ?? null;
  }

  /** Newest `limit` events matching, in ascending id order. */
  async query(filter: AuditQuery): Promise<RampartEvent[]> {
    let q = this.#db.selectFrom("events").select(["id", "at", "type", "env", "app", "release", "instance", "actor", "message", "data"]);
    if (filter.since !== undefined) q = q.where("at", ">=", filter.since);
    if (filter.actor !== undefined) q = q.where("actor", "=", filter.actor);
    if (filter.type !== undefined) {
      q = filter.type.endsWith(".") ? q.where("type", "like", `${filter.type}%`) : q.where("type", "=", filter.type);
    }
    const rows = await q.orderBy("id", "desc").limit(filter.limit).execute();
    return rows.reverse().map((row) => ({ ...row, type: row.type as EventType, data: parseData(row.data) }));
  }
}
