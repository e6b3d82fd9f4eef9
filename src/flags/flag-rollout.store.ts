import type { Selectable } from "kysely";
import type { Db } from "../db/database.ts";
import { flagDb, type FlagTables } from "./flag-tables.ts";
import { parseJsonAs } from "../shared/checked-json.ts";
import {
  type FlagRolloutData,
  type FlagRolloutRecord,
  type FlagRolloutState,
  flagRolloutDataSchema,
  rolloutPlanSchema,
} from "./flag-change.types.ts";

/** Guarded rollout plans: plan, current step and when it started are persisted, so a restarted control plane resumes them. */
export class FlagRolloutStore {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  async insert(trx: Db, r: Omit<FlagRolloutRecord, "id">): Promise<number> {
    const { id } = await flagDb(trx)
      .insertInto("flag_rollouts")
      .values({
        flag: r.flag,
        env: r.env,
        state: r.state,
        plan: JSON.stringify(r.plan),
        step: r.step,
        step_started_at: r.stepStartedAt,
        created_by: r.createdBy,
        created_at: r.createdAt,
        updated_at: r.updatedAt,
        data: JSON.stringify(r.data),
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    return id;
  }

  async update(
    trx: Db,
    id: number,
    patch: { state?: FlagRolloutState; step?: number; stepStartedAt?: number; updatedAt: number; data?: FlagRolloutData },
  ): Promise<void> {
    await flagDb(trx)
      .updateTable("flag_rollouts")
      .set({
        state: patch.state,
        step: patch.step,
        step_started_at: patch.stepStartedAt,
        updated_at: patch.updatedAt,
        data: patch.data && JSON.stringify(patch.data),
      })
      .where("id", "=", id)
      .execute();
  }

  async get(id: number, db: Db = this.#db): Promise<FlagRolloutRecord | undefined> {
    const row = await flagDb(db).selectFrom("flag_rollouts").selectAll().where("id", "=", id).executeTakeFirst();
    return row && fromRow(row);
  }

  async active(db: Db = this.#db): Promise<FlagRolloutRecord[]> {
    const rows = await flagDb(db)
      .selectFrom("flag_rollouts")
      .selectAll()
      .where("state", "in", ["running", "paused"])
      .orderBy("id")
      .execute();
    return rows.map(fromRow);
  }

  async latest(flag: string, env: string, db: Db = this.#db): Promise<FlagRolloutRecord | undefined> {
    const row = await flagDb(db)
      .selectFrom("flag_rollouts")
      .selectAll()
      .where("flag", "=", flag)
      .where("env", "=", env)
      .orderBy("id", "desc")
      .executeTakeFirst();
    return row && fromRow(row);
  }
}

function fromRow(row: Selectable<FlagTables["flag_rollouts"]>): FlagRolloutRecord {
  return {
    id: row.id,
    flag: row.flag,
    env: row.env,
    state: row.state as FlagRolloutState,
    plan: parseJsonAs(rolloutPlanSchema, row.plan, `flag_rollouts.plan of rollout ${row.id}`),
    step: row.step,
    stepStartedAt: row.step_started_at,
    createdBy: row.created_by,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    data: parseJsonAs(flagRolloutDataSchema, row.data, `flag_rollouts.data of rollout ${row.id}`),
  };
}
