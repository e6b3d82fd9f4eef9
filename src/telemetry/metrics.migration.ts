import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";

/** Tables of the metrics store (minute rollups). Never edit once released: add a new migration. */
export const metricsMigration: Migration = {
  async up(_db: Kysely<unknown>) {},
};
