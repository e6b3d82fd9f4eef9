import type { Db } from "./database.ts";

/** Small named facts the platform keeps across restarts (the edge's pid, the API address). */
export class KvStore {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  /** The value as parsed JSON: the caller checks it against the schema of what it wrote (checkedAs). */
  async get(key: string): Promise<unknown> {
    const row = await this.#db.selectFrom("kv").select("value").where("key", "=", key).executeTakeFirst();
    return row ? JSON.parse(row.value) : undefined;
  }

  /** Written in the caller's transaction (with the event that records the change) when given one. */
  async set(key: string, value: unknown, db: Db = this.#db): Promise<void> {
    const text = JSON.stringify(value);
    await db
      .insertInto("kv")
      .values({ key, value: text })
      .onConflict((c) => c.column("key").doUpdateSet({ value: text }))
      .execute();
  }
}
