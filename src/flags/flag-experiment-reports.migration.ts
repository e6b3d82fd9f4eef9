import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";

/** Retention and weekly experiment reports (issue 21). Never edit once released. */
export const flagExperimentReportsMigration: Migration = {
  async up(db: Kysely<unknown>) {
    // When a user was last seen (a later day's exposure or any event): "returned after N days" is read from it.
    await db.schema.alterTable("flag_exposures").addColumn("seen", "integer").execute();
    // The weekly report of each running experiment, as written (its event carries the same Markdown).
    await db.schema
      .createTable("flag_experiment_reports")
      .addColumn("env", "text", (c) => c.notNull())
      .addColumn("flag", "text", (c) => c.notNull())
      .addColumn("at", "integer", (c) => c.notNull())
      .addColumn("markdown", "text", (c) => c.notNull())
      .addPrimaryKeyConstraint("flag_experiment_reports_pk", ["env", "flag", "at"])
      .execute();
  },
};
