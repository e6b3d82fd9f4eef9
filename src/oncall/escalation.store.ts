import type { Selectable } from "kysely";
import { z } from "zod";
import type { Db } from "../db/database.ts";
import { parseJsonAs } from "../shared/checked-json.ts";
import { oncallDb, type OncallTables } from "./oncall-tables.ts";
import { type Escalation, escalationStatuses } from "./escalation.types.ts";

const labelsSchema = z.record(z.string(), z.string());
const statusSchema = z.enum(escalationStatuses);

/** One escalation per alert fingerprint; every write happens inside EventLog.transact with its event. */
export class EscalationStore {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  /** Starts (or starts over, after the alert resolved) the escalation of an alert. */
  async upsert(trx: Db, e: Escalation): Promise<void> {
    const row = toRow(e);
    await oncallDb(trx)
      .insertInto("oncall_escalations")
      .values(row)
      .onConflict((oc) => oc.column("fingerprint").doUpdateSet(row))
      .execute();
  }

  async get(fingerprint: string, db: Db = this.#db): Promise<Escalation | undefined> {
    const row = await oncallDb(db).selectFrom("oncall_escalations").selectAll().where("fingerprint", "=", fingerprint).executeTakeFirst();
    return row && fromRow(row);
  }

  /** Escalations still paging or acknowledged (not ended), oldest first. */
  async open(): Promise<Escalation[]> {
    const rows = await oncallDb(this.#db)
      .selectFrom("oncall_escalations")
      .selectAll()
      .where("status", "in", ["paging", "acknowledged"])
      .orderBy("started_at", "asc")
      .execute();
    return rows.map(fromRow);
  }

  async recent(limit: number): Promise<Escalation[]> {
    const rows = await oncallDb(this.#db).selectFrom("oncall_escalations").selectAll().orderBy("started_at", "desc").limit(limit).execute();
    return rows.map(fromRow);
  }
}

function toRow(e: Escalation): Selectable<OncallTables["oncall_escalations"]> {
  return {
    fingerprint: e.fingerprint,
    alertname: e.alertname,
    labels: JSON.stringify(e.labels),
    policy: e.policy,
    level: e.level,
    round: e.round,
    status: e.status,
    next_at: e.nextAt,
    started_at: e.startedAt,
    ended_at: e.endedAt,
    ended_by: e.endedBy,
  };
}

function fromRow(row: Selectable<OncallTables["oncall_escalations"]>): Escalation {
  return {
    fingerprint: row.fingerprint,
    alertname: row.alertname,
    labels: parseJsonAs(labelsSchema, row.labels, "oncall_escalations.labels"),
    policy: row.policy,
    level: row.level,
    round: row.round,
    status: statusSchema.parse(row.status),
    nextAt: row.next_at,
    startedAt: row.started_at,
    endedAt: row.ended_at,
    endedBy: row.ended_by,
  };
}
