import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";

/**
 * On-call overrides made over the API (state: oncall.override_created / oncall.override_removed) and alert
 * escalations (state: oncall.paged / oncall.escalated / alert.acknowledged). Never edit once released: add a new
 * migration.
 */
export const oncallMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable("oncall_overrides")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("schedule", "text", (c) => c.notNull())
      .addColumn("user", "text", (c) => c.notNull())
      .addColumn("from_at", "integer", (c) => c.notNull())
      .addColumn("to_at", "integer", (c) => c.notNull())
      .addColumn("reason", "text", (c) => c.notNull())
      .addColumn("created_by", "text", (c) => c.notNull())
      .addColumn("created_at", "integer", (c) => c.notNull())
      .addColumn("removed_at", "integer")
      .addColumn("removed_by", "text")
      .execute();
    await db.schema
      .createTable("oncall_escalations")
      .addColumn("fingerprint", "text", (c) => c.primaryKey())
      .addColumn("alertname", "text", (c) => c.notNull())
      .addColumn("labels", "text", (c) => c.notNull())
      .addColumn("policy", "text", (c) => c.notNull())
      .addColumn("level", "integer", (c) => c.notNull())
      .addColumn("round", "integer", (c) => c.notNull())
      .addColumn("status", "text", (c) => c.notNull())
      .addColumn("next_at", "integer")
      .addColumn("started_at", "integer", (c) => c.notNull())
      .addColumn("ended_at", "integer")
      .addColumn("ended_by", "text")
      .execute();
    // Action links used (single use): claimed with oncall.link_used before the action runs.
    await db.schema
      .createTable("oncall_action_links")
      .addColumn("nonce", "text", (c) => c.primaryKey())
      .addColumn("action", "text", (c) => c.notNull())
      .addColumn("target", "text", (c) => c.notNull())
      .addColumn("used_by", "text", (c) => c.notNull())
      .addColumn("used_at", "integer", (c) => c.notNull())
      .execute();
  },
};
