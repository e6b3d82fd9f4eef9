import type { Db } from "../db/database.ts";
import type { FailedUserSeries } from "../edge/edge-stats.types.ts";

// A type alias, not an interface: withTables needs the index signature an alias implies.
type FailedUsersTables = {
  failed_users: { env: string; app: string; at: number; user_hash: number };
};

const MINUTE_MS = 60_000;

/**
 * The users whose requests failed, by the hash of their sticky key and the minute (one row per user and minute,
 * however often they failed): an incident counts the distinct ones over its impact.
 */
export class FailedUsersStore {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  #tables() {
    return this.#db.withTables<FailedUsersTables>();
  }

  async insert(atMs: number, series: readonly FailedUserSeries[]): Promise<void> {
    const at = Math.floor(atMs / MINUTE_MS) * MINUTE_MS;
    const rows = new Map<string, { env: string; app: string; at: number; user_hash: number }>();
    for (const s of series)
      for (const key of s.keys) rows.set(`${s.env}\u0000${s.app}\u0000${key}`, { env: s.env, app: s.app, at, user_hash: key });
    if (rows.size === 0) return;
    const values = [...rows.values()];
    // SQLite's bound-parameter limit (32,766) over 4 columns.
    for (let i = 0; i < values.length; i += 5_000) {
      await this.#tables()
        .insertInto("failed_users")
        .values(values.slice(i, i + 5_000))
        .onConflict((c) => c.doNothing())
        .execute();
    }
  }

  /** Distinct users with a failed request from the minute of `from` up to (not including) `to`. */
  async distinct(env: string, app: string, from: number, to: number): Promise<number> {
    const row = await this.#tables()
      .selectFrom("failed_users")
      .select((eb) => eb.fn.count<number>("user_hash").distinct().as("users"))
      .where("env", "=", env)
      .where("app", "=", app)
      .where("at", ">=", Math.floor(from / MINUTE_MS) * MINUTE_MS)
      .where("at", "<", to)
      .executeTakeFirst();
    return Number(row?.users ?? 0);
  }

  async deleteBefore(at: number): Promise<void> {
    await this.#tables().deleteFrom("failed_users").where("at", "<", at).execute();
  }
}
