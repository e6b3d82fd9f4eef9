import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";

/**
 * Why a session was ended on purpose (a role granted or revoked, a just-in-time grant, a new password, the user
 * removed), kept a week by its hash, so the next request with it is told why instead of only "not valid".
 * Never edit once released: add a new migration.
 */
export const sessionEndingsMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable("session_endings")
      .addColumn("sha256", "text", (c) => c.primaryKey())
      .addColumn("user", "text", (c) => c.notNull())
      .addColumn("reason", "text", (c) => c.notNull())
      .addColumn("at", "integer", (c) => c.notNull())
      .execute();
  },
};
