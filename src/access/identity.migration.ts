import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";

/** Users, standing role grants, tokens and console sessions (issue 12). Never edit once released: add a new migration. */
export const identityMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable("users")
      .addColumn("name", "text", (c) => c.primaryKey())
      .addColumn("email", "text")
      .addColumn("password_hash", "text")
      .addColumn("source", "text", (c) => c.notNull())
      .addColumn("created_at", "integer", (c) => c.notNull())
      .addColumn("created_by", "text", (c) => c.notNull())
      .execute();
    // A grant belongs to a user (subject = the name) or a service token (subject = the token's id).
    await db.schema
      .createTable("role_grants")
      .addColumn("subject_kind", "text", (c) => c.notNull())
      .addColumn("subject", "text", (c) => c.notNull())
      .addColumn("role", "text", (c) => c.notNull())
      .addColumn("env", "text", (c) => c.notNull())
      .addColumn("created_at", "integer", (c) => c.notNull())
      .addColumn("created_by", "text", (c) => c.notNull())
      .addPrimaryKeyConstraint("role_grants_pk", ["subject_kind", "subject", "role", "env"])
      .execute();
    await db.schema
      .createTable("tokens")
      .addColumn("id", "integer", (c) => c.primaryKey().autoIncrement())
      .addColumn("name", "text", (c) => c.notNull())
      .addColumn("kind", "text", (c) => c.notNull())
      .addColumn("owner", "text")
      .addColumn("sha256", "text", (c) => c.notNull().unique())
      .addColumn("hint", "text", (c) => c.notNull())
      .addColumn("apps", "text")
      .addColumn("created_at", "integer", (c) => c.notNull())
      .addColumn("created_by", "text", (c) => c.notNull())
      .addColumn("expires_at", "integer")
      .addColumn("revoked_at", "integer")
      .addColumn("revoked_by", "text")
      .execute();
    await db.schema
      .createTable("token_last_use")
      .addColumn("token_id", "integer", (c) => c.primaryKey())
      .addColumn("at", "integer", (c) => c.notNull())
      .addColumn("address", "text", (c) => c.notNull())
      .execute();
    await db.schema
      .createTable("sessions")
      .addColumn("sha256", "text", (c) => c.primaryKey())
      .addColumn("user", "text", (c) => c.notNull())
      .addColumn("how", "text", (c) => c.notNull())
      .addColumn("created_at", "integer", (c) => c.notNull())
      .execute();
    await db.schema
      .createTable("session_last_seen")
      .addColumn("sha256", "text", (c) => c.primaryKey())
      .addColumn("at", "integer", (c) => c.notNull())
      .execute();
  },
};
