import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";

/**
 * Rollback drills (state: drill.rollback_started / drill.rollback_finished). Never edit once released: add a new
 * migration.
 */
export const rollbackDrillMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable("rollback_drills")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("env", "text", (c) => c.notNull())
      .addColumn("app", "text", (c) => c.notNull())
      .addColumn("status", "text", (c) => c.notNull())
      .addColumn("trigger", "text", (c) => c.notNull())
      .addColumn("actor", "text", (c) => c.notNull())
      .addColumn("allow_production", "integer", (c) => c.notNull())
      .addColumn("started_at", "integer", (c) => c.notNull())
      .addColumn("finished_at", "integer")
      .addColumn("result", "text")
      .addColumn("error", "text")
      .execute();
    await db.schema.createIndex("rollback_drills_by_app").on("rollback_drills").columns(["env", "app", "started_at"]).execute();
  },
};

export const rollbackDrillMigrations = { "0018_rollback_drills": rollbackDrillMigration };
