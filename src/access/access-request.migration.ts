import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";

/** Just-in-time access requests. Never edit once released: add a new migration. */
export const accessRequestMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable("access_requests")
      .addColumn("id", "integer", (c) => c.primaryKey())
      .addColumn("requester", "text", (c) => c.notNull())
      .addColumn("env", "text", (c) => c.notNull())
      .addColumn("state", "text", (c) => c.notNull())
      .addColumn("break_glass", "integer", (c) => c.notNull())
      .addColumn("created_at", "integer", (c) => c.notNull())
      // The whole record (reviews, times, reason) as JSON: read and written whole by the pure state machine.
      .addColumn("record", "text", (c) => c.notNull())
      .execute();
    await db.schema.createIndex("access_requests_state").on("access_requests").column("state").execute();
    await db.schema.createIndex("access_requests_requester").on("access_requests").columns(["requester", "id"]).execute();
  },
};
