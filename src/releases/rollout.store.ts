import type { Selectable } from "kysely";
import type { Db } from "../db/database.ts";
import type { RolloutsTable } from "../db/database.types.ts";
import type { ReleaseStrategy } from "../config/resolved-manifest.schema.ts";
import { parseJsonAs } from "../shared/checked-json.ts";
import { type RolloutData, type RolloutRecord, type RolloutState, rolloutDataSchema } from "./rollout.types.ts";

export type NewRollout = Omit<RolloutRecord, "id">;

export class RolloutStore {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  async insert(db: Db, rollout: NewRollout): Promise<number> {
    const { id } = await db
      .insertInto("rollouts")
      .values({
        env: rollout.env,
        app: rollout.app,
        release: rollout.release,
        from_release: rollout.fromRelease,
        strategy: rollout.strategy,
        state: rollout.state,
        step: rollout.step,
        started_at: rollout.startedAt,
        updated_at: rollout.updatedAt,
        finished_at: rollout.finishedAt,
        data: JSON.stringify(rollout.data),
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    return id;
  }

  /**
   * `data` is a patch merged into the stored data inside the caller's transaction (a key set to undefined is
   * removed): the engine's progress notes and the control flags set by `rampart rollout …` are written by
   * different callers, and neither may overwrite what the other wrote meanwhile. Returns the merged data.
   */
  async update(
    db: Db,
    id: number,
    patch: { state?: RolloutState; step?: number; updatedAt: number; finishedAt?: number; data?: Partial<RolloutData> },
  ): Promise<RolloutData> {
    const row = await db.selectFrom("rollouts").select("data").where("id", "=", id).executeTakeFirstOrThrow();
    const merged: Record<string, unknown> = {
      ...parseJsonAs(rolloutDataSchema, row.data, `rollouts.data of rollout ${id}`),
      ...patch.data,
    };
    for (const [key, value] of Object.entries(merged)) if (value === undefined) delete merged[key];
    await db
      .updateTable("rollouts")
      .set({
        state: patch.state,
        step: patch.step,
        updated_at: patch.updatedAt,
        finished_at: patch.finishedAt,
        data: JSON.stringify(merged),
      })
      .where("id", "=", id)
      .execute();
    return merged as RolloutData;
  }

  async get(id: number): Promise<RolloutRecord | undefined> {
    const row = await this.#db.selectFrom("rollouts").selectAll().where("id", "=", id).executeTakeFirst();
    return row && fromRow(row);
  }

  async active(db: Db = this.#db): Promise<RolloutRecord[]> {
    const rows = await db.selectFrom("rollouts").selectAll().where("state", "not in", ["completed", "failed"]).orderBy("id").execute();
    return rows.map(fromRow);
  }

  async forRelease(env: string, app: string, release: number): Promise<RolloutRecord | undefined> {
    const row = await this.#db
      .selectFrom("rollouts")
      .selectAll()
      .where("env", "=", env)
      .where("app", "=", app)
      .where("release", "=", release)
      .orderBy("id", "desc")
      .executeTakeFirst();
    return row && fromRow(row);
  }
}

function fromRow(row: Selectable<RolloutsTable>): RolloutRecord {
  return {
    id: row.id,
    env: row.env,
    app: row.app,
    release: row.release,
    fromRelease: row.from_release,
    strategy: row.strategy as ReleaseStrategy,
    state: row.state as RolloutState,
    step: row.step,
    startedAt: row.started_at,
    updatedAt: row.updated_at,
    finishedAt: row.finished_at,
    data: parseJsonAs(rolloutDataSchema, row.data, `rollouts.data of rollout ${row.id}`),
  };
}
