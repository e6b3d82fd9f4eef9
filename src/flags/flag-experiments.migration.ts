import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";

/** Experiment measurements: who was exposed to what, what they did, and per-day totals. Never edit once released. */
export const flagExperimentsMigration: Migration = {
  async up(db: Kysely<unknown>) {
    // One row per user and flag: the first variation served (hashed user key only).
    await db.schema
      .createTable("flag_exposures")
      .addColumn("env", "text", (c) => c.notNull())
      .addColumn("flag", "text", (c) => c.notNull())
      .addColumn("user", "text", (c) => c.notNull())
      .addColumn("variation", "text", (c) => c.notNull())
      .addColumn("at", "integer", (c) => c.notNull())
      .addPrimaryKeyConstraint("flag_exposures_pk", ["env", "flag", "user"])
      .execute();
    await db.schema.createIndex("flag_exposures_user").on("flag_exposures").columns(["env", "user"]).execute();
    // Per user, flag and metric: the running totals the sums of squares are updated from.
    await db.schema
      .createTable("flag_conversions")
      .addColumn("env", "text", (c) => c.notNull())
      .addColumn("flag", "text", (c) => c.notNull())
      .addColumn("metric", "text", (c) => c.notNull())
      .addColumn("user", "text", (c) => c.notNull())
      .addColumn("variation", "text", (c) => c.notNull())
      .addColumn("events", "integer", (c) => c.notNull())
      .addColumn("value", "real", (c) => c.notNull())
      .addPrimaryKeyConstraint("flag_conversions_pk", ["env", "flag", "metric", "user"])
      .execute();
    await db.schema
      .createTable("flag_exposure_days")
      .addColumn("env", "text", (c) => c.notNull())
      .addColumn("flag", "text", (c) => c.notNull())
      .addColumn("variation", "text", (c) => c.notNull())
      .addColumn("day", "integer", (c) => c.notNull())
      .addColumn("exposed", "integer", (c) => c.notNull())
      .addPrimaryKeyConstraint("flag_exposure_days_pk", ["env", "flag", "variation", "day"])
      .execute();
    await db.schema
      .createTable("flag_metric_days")
      .addColumn("env", "text", (c) => c.notNull())
      .addColumn("flag", "text", (c) => c.notNull())
      .addColumn("metric", "text", (c) => c.notNull())
      .addColumn("variation", "text", (c) => c.notNull())
      .addColumn("day", "integer", (c) => c.notNull())
      .addColumn("converted", "integer", (c) => c.notNull())
      .addColumn("events", "integer", (c) => c.notNull())
      .addColumn("events_sq", "real", (c) => c.notNull())
      .addColumn("value_sum", "real", (c) => c.notNull())
      .addColumn("value_sq", "real", (c) => c.notNull())
      .addPrimaryKeyConstraint("flag_metric_days_pk", ["env", "flag", "metric", "variation", "day"])
      .execute();
  },
};
