import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";

/** Encrypted secrets: per-environment data keys (wrapped) and every version of every value (sealed). Never edit once released. */
export const secretsMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable("secret_data_keys")
      .addColumn("env", "text", (c) => c.primaryKey())
      .addColumn("wrapped", "text", (c) => c.notNull())
      .addColumn("kek_id", "text", (c) => c.notNull())
      .addColumn("created_at", "integer", (c) => c.notNull())
      .addColumn("rotated_at", "integer")
      .execute();
    await db.schema
      .createTable("secret_versions")
      .addColumn("env", "text", (c) => c.notNull())
      .addColumn("app", "text", (c) => c.notNull())
      .addColumn("name", "text", (c) => c.notNull())
      .addColumn("version", "integer", (c) => c.notNull())
      .addColumn("sealed", "text")
      .addColumn("created_by", "text", (c) => c.notNull())
      .addColumn("created_at", "integer", (c) => c.notNull())
      .addPrimaryKeyConstraint("secret_versions_pk", ["env", "app", "name", "version"])
      .execute();
  },
};
