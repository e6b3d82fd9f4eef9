import type { Db } from "../db/database.ts";
import type { FlagKind, FlagValueType, SegmentDefinition } from "../../packages/sdk/src/flag-data.ts";
import { flagDb } from "./flag-tables.ts";
import { parseJsonAs } from "../shared/checked-json.ts";
import { type FlagEnvRecord, type FlagRecord, flagEnvStateSchema, segmentStateSchema, storedVariationsSchema } from "./flag.types.ts";

/** Flags, their per-environment state, segments and snapshot versions. Writes take the caller's transaction. */
export class FlagStore {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  async insertFlag(trx: Db, flag: FlagRecord): Promise<void> {
    await flagDb(trx)
      .insertInto("flags")
      .values({
        key: flag.key,
        type: flag.type,
        kind: flag.kind,
        description: flag.description,
        variations: JSON.stringify(flag.variations),
        off_variation: flag.offVariation,
        salt: flag.salt,
        created_at: flag.createdAt,
        created_by: flag.createdBy,
      })
      .execute();
  }

  async flag(key: string, db: Db = this.#db): Promise<FlagRecord | undefined> {
    const row = await flagDb(db).selectFrom("flags").selectAll().where("key", "=", key).executeTakeFirst();
    return row && flagFromRow(row);
  }

  async flags(db: Db = this.#db): Promise<FlagRecord[]> {
    const rows = await flagDb(db).selectFrom("flags").selectAll().orderBy("key").execute();
    return rows.map(flagFromRow);
  }

  async putState(trx: Db, record: FlagEnvRecord): Promise<void> {
    const { flag, env, updatedAt, updatedBy, uniformSince, ...state } = record;
    const values = { flag, env, state: JSON.stringify(state), updated_at: updatedAt, updated_by: updatedBy, uniform_since: uniformSince };
    await flagDb(trx)
      .insertInto("flag_env_states")
      .values(values)
      .onConflict((c) =>
        c
          .columns(["flag", "env"])
          .doUpdateSet({ state: values.state, updated_at: updatedAt, updated_by: updatedBy, uniform_since: uniformSince }),
      )
      .execute();
  }

  async state(flag: string, env: string, db: Db = this.#db): Promise<FlagEnvRecord | undefined> {
    const row = await flagDb(db)
      .selectFrom("flag_env_states")
      .selectAll()
      .where("flag", "=", flag)
      .where("env", "=", env)
      .executeTakeFirst();
    return row && stateFromRow(row);
  }

  /** Every flag's state in one environment, keyed by flag. */
  async states(env: string, db: Db = this.#db): Promise<Map<string, FlagEnvRecord>> {
    const rows = await flagDb(db).selectFrom("flag_env_states").selectAll().where("env", "=", env).execute();
    return new Map(rows.map((row) => [row.flag, stateFromRow(row)]));
  }

  async putSegment(trx: Db, env: string, segment: SegmentDefinition, at: number): Promise<void> {
    const { key, ...state } = segment;
    await flagDb(trx)
      .insertInto("flag_segments")
      .values({ env, key, state: JSON.stringify(state), updated_at: at })
      .onConflict((c) => c.columns(["env", "key"]).doUpdateSet({ state: JSON.stringify(state), updated_at: at }))
      .execute();
  }

  async deleteSegment(trx: Db, env: string, key: string): Promise<void> {
    await flagDb(trx).deleteFrom("flag_segments").where("env", "=", env).where("key", "=", key).execute();
  }

  async segments(env: string, db: Db = this.#db): Promise<SegmentDefinition[]> {
    const rows = await flagDb(db).selectFrom("flag_segments").selectAll().where("env", "=", env).orderBy("key").execute();
    return rows.map((row) => ({
      key: row.key,
      ...parseJsonAs(segmentStateSchema, row.state, `flag_segments.state of ${row.key} in ${env}`),
    }));
  }

  async version(env: string, db: Db = this.#db): Promise<number> {
    const row = await flagDb(db).selectFrom("flag_versions").select("version").where("env", "=", env).executeTakeFirst();
    return row?.version ?? 0;
  }

  /** Bumps the environment's snapshot version inside the change's transaction; returns the new version. */
  async bumpVersion(trx: Db, env: string): Promise<number> {
    const next = (await this.version(env, trx)) + 1;
    await flagDb(trx)
      .insertInto("flag_versions")
      .values({ env, version: next })
      .onConflict((c) => c.column("env").doUpdateSet({ version: next }))
      .execute();
    return next;
  }
}

function flagFromRow(row: {
  key: string;
  type: string;
  kind: string;
  description: string;
  variations: string;
  off_variation: string;
  salt: string;
  created_at: number;
  created_by: string;
}): FlagRecord {
  return {
    key: row.key,
    type: row.type as FlagValueType,
    kind: row.kind as FlagKind,
    description: row.description,
    variations: parseJsonAs(storedVariationsSchema, row.variations, `flags.variations of ${row.key}`),
    offVariation: row.off_variation,
    salt: row.salt,
    createdAt: row.created_at,
    createdBy: row.created_by,
  };
}

function stateFromRow(row: {
  flag: string;
  env: string;
  state: string;
  updated_at: number;
  updated_by: string;
  uniform_since: number | null;
}): FlagEnvRecord {
  return {
    flag: row.flag,
    env: row.env,
    ...parseJsonAs(flagEnvStateSchema, row.state, `flag_env_states.state of ${row.flag} in ${row.env}`),
    updatedAt: row.updated_at,
    updatedBy: row.updated_by,
    uniformSince: row.uniform_since,
  };
}
