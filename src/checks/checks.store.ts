import type { Generated } from "kysely";
import type { Db } from "../db/database.ts";
import type { CheckKind, CheckResult } from "./checks.types.ts";

// A type alias, not an interface: withTables needs the index signature an alias implies.
type CheckTables = {
  check_results: {
    id: Generated<number>;
    at: number;
    env: string;
    app: string;
    name: string;
    kind: string;
    ok: number;
    status: number | null;
    latency_ms: number | null;
    message: string;
  };
};

/** Results of checks and heartbeat pings: measurements, kept for a day (`prune`). */
export class ChecksStore {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  #tables() {
    return this.#db.withTables<CheckTables>();
  }

  async record(result: CheckResult): Promise<void> {
    await this.#tables()
      .insertInto("check_results")
      .values({
        at: result.at,
        env: result.env,
        app: result.app,
        name: result.name,
        kind: result.kind,
        ok: result.ok ? 1 : 0,
        status: result.status,
        latency_ms: result.latencyMs,
        message: result.message,
      })
      .execute();
  }

  /** The newest result of each check (for heartbeats: the last ping), so a restarted platform resumes from them. */
  async latest(kind: CheckKind): Promise<CheckResult[]> {
    const rows = await this.#tables()
      .selectFrom("check_results")
      .selectAll()
      .where("kind", "=", kind)
      .where("id", "in", (q) =>
        q
          .selectFrom("check_results")
          .select((eb) => eb.fn.max("id").as("id"))
          .where("kind", "=", kind)
          .groupBy(["env", "app", "name"]),
      )
      .execute();
    return rows.map((row) => ({
      at: row.at,
      env: row.env,
      app: row.app,
      name: row.name,
      kind,
      ok: row.ok === 1,
      status: row.status,
      latencyMs: row.latency_ms,
      message: row.message,
    }));
  }

  async prune(before: number): Promise<void> {
    await this.#tables().deleteFrom("check_results").where("at", "<", before).execute();
  }
}
