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

  async set(key: string, value: unknown): Promise<void> {
    const text = JSON.stringify(value);
    await this.#db
      .insertInto("kv")
      .values({ key, value: text })
      .onConflict((c) => c.column("key").doUpdateSet({ value: text }))
      .execute();
  }
}
