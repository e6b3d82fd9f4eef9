import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";

/**
 * Alert state and the rules created over the API. Never edit once released: add a new migration. Both are state
 * (every write commits with its alert.* event); an alert's latest value is kept in memory, not written each round.
 */
export const alertsMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable("alert_instances")
      .addColumn("fingerprint", "text", (c) => c.primaryKey())
      .addColumn("rule", "text", (c) => c.notNull())
      .addColumn("state", "text", (c) => c.notNull())
      .addColumn("labels", "text", (c) => c.notNull())
      .addColumn("annotations", "text", (c) => c.notNull())
      .addColumn("value", "real")
      .addColumn("active_at", "integer", (c) => c.notNull())
      .addColumn("fired_at", "integer")
      .execute();
    await db.schema
      .createTable("alert_rules")
      .addColumn("name", "text", (c) => c.primaryKey())
      .addColumn("app", "text")
      .addColumn("definition", "text", (c) => c.notNull())
      .addColumn("updated_at", "integer", (c) => c.notNull())
      .addColumn("updated_by", "text", (c) => c.notNull())
      .execute();
  },
};
