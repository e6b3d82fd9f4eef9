import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";

/**
 * Logs and traces keep no tables in rampart.db: the log index (DATA/telemetry/logs/, SQLite segments with FTS5) and
 * the spans (DATA/telemetry/traces.db) have their own files, so their write bursts and retention deletes never
 * contend with the control plane's transactions (docs/adr/0010). The migration stays, empty, to keep the numbering.
 * Never edit once released: add a new migration.
 */
export const logsTracesMigration: Migration = {
  async up(_db: Kysely<unknown>) {},
};
