import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";

/** Silences (state: written with silence.created / silence.expired), the delivery log and the notification log (bookkeeping). Never edit once released: add a new migration. */
export const alertNotifyMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable("alert_silences")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("matchers", "text", (c) => c.notNull())
      .addColumn("author", "text", (c) => c.notNull())
      .addColumn("reason", "text", (c) => c.notNull())
      .addColumn("starts_at", "integer", (c) => c.notNull())
      .addColumn("ends_at", "integer", (c) => c.notNull())
      .addColumn("expired_at", "integer")
      .addColumn("expired_by", "text")
      .execute();
    await db.schema
      .createTable("alert_deliveries")
      .addColumn("id", "integer", (c) => c.primaryKey().autoIncrement())
      .addColumn("at", "integer", (c) => c.notNull())
      .addColumn("receiver", "text", (c) => c.notNull())
      .addColumn("kind", "text", (c) => c.notNull())
      .addColumn("group_key", "text", (c) => c.notNull())
      .addColumn("reason", "text", (c) => c.notNull())
      .addColumn("status", "text", (c) => c.notNull())
      .addColumn("attempts", "integer", (c) => c.notNull())
      .addColumn("error", "text")
      .addColumn("alerts", "text", (c) => c.notNull())
      .addColumn("text", "text", (c) => c.notNull())
      .addColumn("updated_at", "integer", (c) => c.notNull())
      .execute();
    await db.schema.createIndex("alert_deliveries_at").on("alert_deliveries").column("at").execute();
    // Alertmanager's notification log: what each group was last told, so a restart does not page again.
    await db.schema
      .createTable("alert_notify_log")
      .addColumn("group_key", "text", (c) => c.primaryKey())
      .addColumn("last_sent_at", "integer", (c) => c.notNull())
      .addColumn("firing", "text", (c) => c.notNull())
      .execute();
  },
};
