import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";

/** Tables of log index and traces. Never edit once released: add a new migration. */
export const logsTracesMigration: Migration = {
  async up(_db: Kysely<unknown>) {},
};
