import type { Selectable } from "kysely";
import type { Db } from "../db/database.ts";
import { flagDb, type FlagTables } from "./flag-tables.ts";
import { parseJsonAs } from "../shared/checked-json.ts";
import { type ChangeRequest, type ChangeRequestStatus, type FlagChange, flagChangeSchema } from "./flag-change.types.ts";

/** SDK tokens (SHA-256 only), change requests of protected environments, and evaluation counts from SDKs. */
export class FlagAccessStore {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  async insertToken(trx: Db, sha256: string, env: string, at: number, by: string): Promise<void> {
    await flagDb(trx).insertInto("flag_sdk_tokens").values({ sha256, env, created_at: at, created_by: by }).execute();
  }

  async tokenEnv(sha256: string): Promise<string | undefined> {
    const row = await flagDb(this.#db).selectFrom("flag_sdk_tokens").select("env").where("sha256", "=", sha256).executeTakeFirst();
    return row?.env;
  }

  async insertRequest(trx: Db, request: Omit<ChangeRequest, "id" | "decidedBy" | "decidedAt">): Promise<number> {
    const { id } = await flagDb(trx)
      .insertInto("flag_change_requests")
      .values({
        env: request.env,
        target: targetOf(request.change),
        change: JSON.stringify(request.change),
        status: request.status,
        requested_by: request.requestedBy,
        requested_at: request.requestedAt,
        reason: request.reason,
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    return id;
  }

  async decide(trx: Db, id: number, status: ChangeRequestStatus, by: string, at: number): Promise<void> {
    await flagDb(trx).updateTable("flag_change_requests").set({ status, decided_by: by, decided_at: at }).where("id", "=", id).execute();
  }

  async request(id: number, db: Db = this.#db): Promise<ChangeRequest | undefined> {
    const row = await flagDb(db).selectFrom("flag_change_requests").selectAll().where("id", "=", id).executeTakeFirst();
    return row && requestFromRow(row);
  }

  async requests(filter: { env?: string; status?: ChangeRequestStatus }): Promise<ChangeRequest[]> {
    let query = flagDb(this.#db).selectFrom("flag_change_requests").selectAll().orderBy("id", "desc").limit(500);
    if (filter.env !== undefined) query = query.where("env", "=", filter.env);
    if (filter.status !== undefined) query = query.where("status", "=", filter.status);
    return (await query.execute()).map(requestFromRow);
  }

  /** Adds an SDK's evaluation counts (one upsert per flag × variation). */
  async addUsage(trx: Db, env: string, counts: Array<{ flag: string; variation: string; count: number }>, at: number): Promise<void> {
    for (const c of counts) {
      await flagDb(trx)
        .insertInto("flag_usage")
        .values({ flag: c.flag, env, variation: c.variation, count: c.count, last_at: at })
        .onConflict((o) =>
          o.columns(["flag", "env", "variation"]).doUpdateSet((eb) => ({ count: eb("flag_usage.count", "+", c.count), last_at: at })),
        )
        .execute();
    }
  }

  async usage(env?: string): Promise<Array<{ flag: string; env: string; variation: string; count: number; lastAt: number }>> {
    let query = flagDb(this.#db).selectFrom("flag_usage").selectAll();
    if (env !== undefined) query = query.where("env", "=", env);
    return (await query.execute()).map((r) => ({ flag: r.flag, env: r.env, variation: r.variation, count: r.count, lastAt: r.last_at }));
  }
}

function targetOf(change: FlagChange): string {
  return change.target === "segment" ? `segment:${change.segment}` : `flag:${change.flag}`;
}

function requestFromRow(row: Selectable<FlagTables["flag_change_requests"]>): ChangeRequest {
  return {
    id: row.id,
    env: row.env,
    change: parseJsonAs(flagChangeSchema, row.change, `flag_change_requests.change of request ${row.id}`),
    status: row.status as ChangeRequestStatus,
    requestedBy: row.requested_by,
    requestedAt: row.requested_at,
    reason: row.reason,
    decidedBy: row.decided_by,
    decidedAt: row.decided_at,
  };
}
