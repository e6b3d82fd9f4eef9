import { chainHash, GENESIS_HASH } from "../access/audit-chain.ts";
import type { Db } from "../db/database.ts";
import type { EventQuery, EventType, NewEvent, RampartEvent } from "./event.types.ts";

/** An event as written, with its place in the audit chain. */
export interface ChainedRampartEvent {
  event: RampartEvent;
  hash: string;
}

/**
 * Append-only: there is deliberately no update or delete here (the one UPDATE sets the chain hash of the row
 * just inserted, in the same transaction: its id is known only after the insert).
 */
export class EventStore {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  /**
   * `db` must be the transaction: the previous hash is read and the new one written in it, and transactions run
   * one at a time on the one connection, so two appends can never chain onto the same predecessor.
   */
  async insert(db: Db, at: number, event: NewEvent): Promise<ChainedRampartEvent> {
    const row = {
      at,
      type: event.type,
      env: event.env ?? null,
      app: event.app ?? null,
      release: event.release ?? null,
      instance: event.instance ?? null,
      actor: event.actor ?? "rampart",
      message: event.message,
      data: JSON.stringify(event.data ?? {}),
    };
    const previous = await db.selectFrom("events").select("hash").orderBy("id", "desc").limit(1).executeTakeFirst();
    const { id } = await db.insertInto("events").values(row).returning("id").executeTakeFirstOrThrow();
    // Hashed as it will be read back (the stored JSON parsed), so verification sees exactly what was hashed.
    const hash = chainHash(previous?.hash ?? GENESIS_HASH, { ...row, id, data: parseData(row.data) });
    await db.updateTable("events").set({ hash }).where("id", "=", id).execute();
    return { event: { ...row, id, data: event.data ?? {} }, hash };
  }

  /** Newest `limit` events matching, in ascending id order. */
  async query(filter: EventQuery): Promise<RampartEvent[]> {
    let q = this.#db.selectFrom("events").selectAll();
    if (filter.since !== undefined) q = q.where("at", ">=", filter.since);
    if (filter.afterId !== undefined) q = q.where("id", ">", filter.afterId);
    if (filter.beforeId !== undefined) q = q.where("id", "<", filter.beforeId);
    if (filter.env !== undefined) q = q.where("env", "=", filter.env);
    if (filter.app !== undefined) q = q.where("app", "=", filter.app);
    if (filter.type !== undefined) {
      q = filter.type.endsWith(".") ? q.where("type", "like", `${filter.type}%`) : q.where("type", "=", filter.type);
    }
    const rows = await q.orderBy("id", "desc").limit(filter.limit).execute();
    return rows.reverse().map(({ hash: _hash, ...row }) => ({ ...row, type: row.type as EventType, data: parseData(row.data) }));
  }
}

export function parseData(text: string): Record<string, unknown> {
  const value: unknown = JSON.parse(text);
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}
