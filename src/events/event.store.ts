import type { Db } from "../db/database.ts";
import type { EventQuery, EventType, NewEvent, RampartEvent } from "./event.types.ts";

/** Append-only: there is deliberately no update or delete here. */
export class EventStore {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  async insert(db: Db, at: number, event: NewEvent): Promise<RampartEvent> {
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
    const { id } = await db.insertInto("events").values(row).returning("id").executeTakeFirstOrThrow();
    return { ...row, id, data: event.data ?? {} };
  }

  /** Newest `limit` events matching, in ascending id order. */
  async query(filter: EventQuery): Promise<RampartEvent[]> {
    let q = this.#db.selectFrom("events").selectAll();
    if (filter.since !== undefined) q = q.where("at", ">=", filter.since);
    if (filter.afterId !== undefined) q = q.where("id", ">", filter.afterId);
    if (filter.env !== undefined) q = q.where("env", "=", filter.env);
    if (filter.app !== undefined) q = q.where("app", "=", filter.app);
    if (filter.type !== undefined) {
      q = filter.type.endsWith(".") ? q.where("type", "like", `${filter.type}%`) : q.where("type", "=", filter.type);
    }
    const rows = await q.orderBy("id", "desc").limit(filter.limit).execute();
    return rows.reverse().map((row) => ({ ...row, type: row.type as EventType, data: parseData(row.data) }));
  }
}

function parseData(text: string): Record<string, unknown> {
  const value: unknown = JSON.parse(text);
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}
