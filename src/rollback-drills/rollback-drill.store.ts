import type { Selectable } from "kysely";
import type { Db } from "../db/database.ts";
import { parseJsonAs } from "../shared/checked-json.ts";
import { type DrillResult, type DrillStatus, drillResultSchema, drillStatuses, type RollbackDrill } from "./rollback-drill.types.ts";

/** The rollback drill table (migration 0018_rollback_drills), known to Kysely through `withTables`. */
export type RollbackDrillTables = {
  rollback_drills: {
    id: string;
    env: string;
    app: string;
    status: string;
    trigger: string;
    actor: string;
    allow_production: number;
    started_at: number;
    finished_at: number | null;
    result: string | null;
    error: string | null;
  };
};

type StoredDrill = Omit<RollbackDrill, "phase">;

const drillDb = (db: Db) => db.withTables<RollbackDrillTables>();

/** Every write happens inside EventLog.transact with its drill.rollback_* event. */
export class RollbackDrillStore {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  async insert(trx: Db, d: StoredDrill): Promise<void> {
    await drillDb(trx)
      .insertInto("rollback_drills")
      .values({
        id: d.id,
        env: d.env,
        app: d.app,
        status: d.status,
        trigger: d.trigger,
        actor: d.actor,
        allow_production: d.allowProduction ? 1 : 0,
        started_at: d.startedAt,
        finished_at: null,
        result: null,
        error: null,
      })
      .execute();
  }

  async finish(trx: Db, id: string, status: DrillStatus, at: number, result: DrillResult | null, error: string | null): Promise<void> {
    await drillDb(trx)
      .updateTable("rollback_drills")
      .set({ status, finished_at: at, result: result && JSON.stringify(result), error })
      .where("id", "=", id)
      .execute();
  }

  async get(id: string): Promise<StoredDrill | undefined> {
    const row = await drillDb(this.#db).selectFrom("rollback_drills").selectAll().where("id", "=", id).executeTakeFirst();
    return row && fromRow(row);
  }

  /** Newest first. */
  async history(env: string, app: string, limit: number): Promise<StoredDrill[]> {
    const rows = await drillDb(this.#db)
      .selectFrom("rollback_drills")
      .selectAll()
      .where("env", "=", env)
      .where("app", "=", app)
      .orderBy("started_at", "desc")
      .limit(limit)
      .execute();
    return rows.map(fromRow);
  }

  /** The newest finished drill of the app in the environment. */
  async latestFinished(env: string, app: string): Promise<StoredDrill | undefined> {
    const row = await drillDb(this.#db)
      .selectFrom("rollback_drills")
      .selectAll()
      .where("env", "=", env)
      .where("app", "=", app)
      .where("status", "!=", "running")
      .orderBy("started_at", "desc")
      .limit(1)
      .executeTakeFirst();
    return row && fromRow(row);
  }

  async running(): Promise<StoredDrill[]> {
    const rows = await drillDb(this.#db).selectFrom("rollback_drills").selectAll().where("status", "=", "running").execute();
    return rows.map(fromRow);
  }
}

function fromRow(row: Selectable<RollbackDrillTables["rollback_drills"]>): StoredDrill {
  const status = drillStatuses.find((s) => s === row.status) ?? "failed";
  return {
    id: row.id,
    env: row.env,
    app: row.app,
    status,
    trigger: row.trigger === "schedule" ? "schedule" : "manual",
    actor: row.actor,
    allowProduction: row.allow_production === 1,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    result: row.result === null ? null : parseJsonAs(drillResultSchema, row.result, `rollback drill ${row.id}'s result`),
    error: row.error,
  };
}
