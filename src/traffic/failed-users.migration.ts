import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";

/**
 * The hashed sticky keys of users whose requests failed, per env × app × minute (measurements, eventless): what an
 * incident's "distinct users affected" counts. Never edit once released: add a new migration.
 */
export const failedUsersMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable("failed_users")
      .addColumn("env", "text", (c) => c.notNull())
      .addColumn("app", "text", (c) => c.notNull())
      .addColumn("at", "integer", (c) => c.notNull())
      .addColumn("user_hash", "integer", (c) => c.notNull())
      .addPrimaryKeyConstraint("failed_users_pk", ["env", "app", "at", "user_hash"])
      .execute();
    await db.schema.createIndex("failed_users_at").on("failed_users").columns(["at"]).execute();
  },
};
