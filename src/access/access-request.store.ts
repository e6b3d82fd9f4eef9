import type { Db } from "../db/database.ts";
import { parseJsonAs } from "../shared/checked-json.ts";
import type { AccessRequest, RequestState } from "./access-request.ts";
import { accessRequestSchema } from "./access-request.types.ts";

// A type alias, not an interface: withTables needs the index signature an alias implies.
type AccessRequestTables = {
  access_requests: { id: number; requester: string; env: string; state: string; break_glass: number; created_at: number; record: string };
};

function accessDb(db: Db) {
  return db.withTables<AccessRequestTables>();
}

export interface AccessRequestFilter {
  requester?: string;
  states?: readonly RequestState[];
  breakGlass?: boolean;
  since?: number;
  limit?: number;
}

/** Access requests, one row each; the record is written whole, with the event of the change, by the service. */
export class AccessRequestStore {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  /** The next id, read inside the writing transaction (SQLite has one writer, so it cannot be taken twice). */
  async nextId(trx: Db): Promise<number> {
    const row = await accessDb(trx)
      .selectFrom("access_requests")
      .select((eb) => eb.fn.max("id").as("max"))
      .executeTakeFirst();
    return (row?.max ?? 0) + 1;
  }

  async insert(trx: Db, request: AccessRequest): Promise<void> {
    await accessDb(trx).insertInto("access_requests").values(toRow(request)).execute();
  }

  async update(trx: Db, request: AccessRequest): Promise<void> {
    const { id, ...row } = toRow(request);
    await accessDb(trx).updateTable("access_requests").set(row).where("id", "=", id).execute();
  }

  async get(id: number, db: Db = this.#db): Promise<AccessRequest | undefined> {
    const row = await accessDb(db).selectFrom("access_requests").select("record").where("id", "=", id).executeTakeFirst();
    return row && fromRecord(row.record);
  }

  /** Newest first. */
  async list(filter: AccessRequestFilter = {}): Promise<AccessRequest[]> {
    let query = accessDb(this.#db).selectFrom("access_requests").select("record");
    if (filter.requester !== undefined) query = query.where("requester", "=", filter.requester);
    if (filter.states !== undefined) query = query.where("state", "in", [...filter.states]);
    if (filter.breakGlass !== undefined) query = query.where("break_glass", "=", filter.breakGlass ? 1 : 0);
    if (filter.since !== undefined) query = query.where("created_at", ">=", filter.since);
    const rows = await query
      .orderBy("id", "desc")
      .limit(filter.limit ?? 500)
      .execute();
    return rows.map((row) => fromRecord(row.record));
  }

  /** Pending and approved requests: what the timer watches and activeGrants reads. */
  async open(): Promise<AccessRequest[]> {
    const rows = await accessDb(this.#db)
      .selectFrom("access_requests")
      .select("record")
      .where("state", "in", ["pending", "approved"])
      .execute();
    return rows.map((row) => fromRecord(row.record));
  }
}

function toRow(r: AccessRequest) {
  return {
    id: r.id,
    requester: r.requester,
    env: r.env,
    state: r.state,
    break_glass: r.breakGlass ? 1 : 0,
    created_at: r.createdAt,
    record: JSON.stringify(r),
  };
}

function fromRecord(text: string): AccessRequest {
  return parseJsonAs(accessRequestSchema, text, "a stored access request");
}
