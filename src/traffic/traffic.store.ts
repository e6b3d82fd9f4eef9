import type { Selectable } from "kysely";
import type { Db } from "../db/database.ts";
import type { TrafficTable } from "../db/database.types.ts";
import { routableSchema, weightsSchema, type TrafficState } from "./traffic.types.ts";

/** The `traffic` table: one row per environment and app (src/traffic/traffic.migration.ts). */
export class TrafficStore {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  async all(): Promise<TrafficState[]> {
    const rows = await this.#db.selectFrom("traffic").selectAll().orderBy("env").orderBy("app").execute();
    return rows.map(fromRow);
  }

  async put(db: Db, state: TrafficState): Promise<void> {
    const values = {
      routable: JSON.stringify(state.routable),
      weights: state.weights === null ? null : JSON.stringify(state.weights),
      updated_at: state.updatedAt,
    };
    await db
      .insertInto("traffic")
      .values({ env: state.env, app: state.app, ...values })
      .onConflict((c) => c.columns(["env", "app"]).doUpdateSet(values))
      .execute();
  }
}

function fromRow(row: Selectable<TrafficTable>): TrafficState {
  return {
    env: row.env,
    app: row.app,
    routable: routableSchema.parse(JSON.parse(row.routable)),
    weights: row.weights === null ? null : weightsSchema.parse(JSON.parse(row.weights)),
    updatedAt: row.updated_at,
  };
}
