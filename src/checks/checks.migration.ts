import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";

/** The results of checks and heartbeat pings (measurements, eventless). Never edit once released: add a new migration. */
export const checksMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable("check_results")
      .addColumn("id", "integer", (c) => c.primaryKey().autoIncrement())
      .addColumn("at", "integer", (c) => c.notNull())
      .addColumn("env", "text", (c) => c.notNull())
      .addColumn("app", "text", (c) => c.notNull())
      .addColumn("name", "text", (c) => c.notNull())
      .addColumn("kind", "text", (c) => c.notNull())
      .addColumn("ok", "integer", (c) => c.notNull())
      .addColumn("status", "integer")
      .addColumn("latency_ms", "real")
      .addColumn("message", "text", (c) => c.notNull())
      .execute();
    await db.schema.createIndex("check_results_check").on("check_results").columns(["env", "app", "name", "id"]).execute();
    await db.schema.createIndex("check_results_at").on("check_results").columns(["at"]).execute();
  },
};
