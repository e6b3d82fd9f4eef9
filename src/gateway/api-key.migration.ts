import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";

/**
 * API keys for apps behind the edge (state: apikey.created / apikey.revoked). Only the key's SHA-256 is stored:
 * the key itself is shown once, when it is made. Never edit once released: add a new migration.
 */
export const apiKeyMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable("api_keys")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("env", "text", (c) => c.notNull())
      .addColumn("app", "text", (c) => c.notNull())
      .addColumn("name", "text", (c) => c.notNull())
      .addColumn("sha256", "text", (c) => c.notNull().unique())
      .addColumn("created_by", "text", (c) => c.notNull())
      .addColumn("created_at", "integer", (c) => c.notNull())
      .addColumn("revoked_at", "integer")
      .addColumn("revoked_by", "text")
      .execute();
    await db.schema.createIndex("api_keys_env_app").on("api_keys").columns(["env", "app"]).execute();
  },
};
