import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";

/** Tables of the metrics store (minute rollups). Never edit once released: add a new migration. */
export const metricsMigration: Migration = {
  async up(db: Kysely<unknown>) {
    // One row per series and minute that had samples. Labels are stored with each row (not normalised into a
    // series table) so that pruning by age is one indexed delete with nothing left to garbage-collect.
    await db.schema
      .createTable("metric_rollups")
      .addColumn("minute", "integer", (c) => c.notNull())
      .addColumn("name", "text", (c) => c.notNull())
      .addColumn("series", "text", (c) => c.notNull())
      .addColumn("labels", "text", (c) => c.notNull())
      .addColumn("kind", "text", (c) => c.notNull())
      .addColumn("value", "real", (c) => c.notNull())
      .addColumn("count", "real", (c) => c.notNull())
      .addColumn("sum", "real", (c) => c.notNull())
      .addColumn("bounds", "text")
      .addColumn("buckets", "text")
      .execute();
    await db.schema.createIndex("metric_rollups_name").on("metric_rollups").columns(["name", "minute"]).execute();
    await db.schema.createIndex("metric_rollups_minute").on("metric_rollups").column("minute").execute();
  },
};
