import type { Selectable } from "kysely";
import type { Db } from "../../db/database.ts";
import { parseJsonAs } from "../../shared/checked-json.ts";
import { deliverySchema, type Delivery, type DeliveryStatus } from "./delivery.types.ts";
import { type AlertNotifyTables, notifyDb } from "./notify-tables.ts";

const alertsSchema = deliverySchema.shape.alerts;

/** The delivery log: one row per notification to a receiver, updated by each attempt (eventless bookkeeping). */
export class DeliveryStore {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  async insert(d: Omit<Delivery, "id">): Promise<number> {
    const { id } = await notifyDb(this.#db)
      .insertInto("alert_deliveries")
      .values({
        at: d.at,
        receiver: d.receiver,
        kind: d.kind,
        group_key: d.groupKey,
        reason: d.reason,
        status: d.status,
        attempts: d.attempts,
        error: d.error,
        alerts: JSON.stringify(d.alerts),
        text: d.text,
        updated_at: d.updatedAt,
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    return id;
  }

  async update(id: number, patch: { status: DeliveryStatus; attempts: number; error: string | null; updatedAt: number }): Promise<void> {
    await notifyDb(this.#db)
      .updateTable("alert_deliveries")
      .set({ status: patch.status, attempts: patch.attempts, error: patch.error, updated_at: patch.updatedAt })
      .where("id", "=", id)
      .execute();
  }

  async list(filter: { kind?: string; limit: number }): Promise<Delivery[]> {
    let q = notifyDb(this.#db).selectFrom("alert_deliveries").selectAll();
    if (filter.kind) q = q.where("kind", "=", filter.kind);
    const rows = await q.orderBy("id", "desc").limit(filter.limit).execute();
    return rows.map(fromRow);
  }

  /** Older rows go: the log is for "did it arrive?", not an archive (the event log keeps alert history). */
  async prune(before: number): Promise<void> {
    await notifyDb(this.#db).deleteFrom("alert_deliveries").where("at", "<", before).execute();
  }
}

function fromRow(row: Selectable<AlertNotifyTables["alert_deliveries"]>): Delivery {
  return {
    id: row.id,
    at: row.at,
    receiver: row.receiver,
    kind: row.kind,
    groupKey: row.group_key,
    reason: row.reason,
    status: deliverySchema.shape.status.parse(row.status),
    attempts: row.attempts,
    error: row.error,
    alerts: parseJsonAs(alertsSchema, row.alerts, "alert_deliveries.alerts"),
    text: row.text,
    updatedAt: row.updated_at,
  };
}
