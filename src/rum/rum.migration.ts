import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";

/**
 * Real-user measurements (eventless): per second, env × app × release × metric, a web vital's histogram (bounds
 * LATENCY_BUCKETS_MS; CLS in thousandths) or a JS error count. Never edit once released: add a new migration.
 */
export const rumMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable("rum_stats")
      .addColumn("at", "integer", (c) => c.notNull())
      .addColumn("env", "text", (c) => c.notNull())
      .addColumn("app", "text", (c) => c.notNull())
      .addColumn("release", "integer", (c) => c.notNull())
      .addColumn("metric", "text", (c) => c.notNull())
      .addColumn("count", "real", (c) => c.notNull())
      .addColumn("sum", "real", (c) => c.notNull())
      .addColumn("buckets", "text", (c) => c.notNull())
      .execute();
    await db.schema.createIndex("rum_stats_app").on("rum_stats").columns(["env", "app", "at"]).execute();
  },
};
