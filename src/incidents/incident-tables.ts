import type { Generated, Kysely } from "kysely";
import type { Migration } from "kysely/migration";
import type { Db } from "../db/database.ts";

/** The incident tables (migration 0012_incidents), known to Kysely through `withTables`. */
// A type alias, not an interface: withTables needs the index signature an alias implies.
export type IncidentTables = {
  incidents: {
    id: Generated<number>;
    title: string;
    severity: number;
    status: string;
    env: string | null;
    app: string | null;
    opened_at: number;
    opened_by: string;
    impact_started_at: number | null;
    detected_at: number;
    acknowledged_at: number | null;
    mitigated_at: number | null;
    resolved_at: number | null;
    /** JSON RoleAssignments */
    roles: string;
    /** JSON string[]: alert fingerprints */
    alerts: string;
    updated_at: number;
  };
  postmortems: {
    incident_id: number;
    /** JSON PostmortemEdit: what people wrote over the generated draft */
    edits: string;
    updated_at: number;
    updated_by: string;
  };
};

export type IncidentDb = ReturnType<typeof incidentDb>;

export function incidentDb(db: Db) {
  return db.withTables<IncidentTables>();
}

export const incidentsMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable("incidents")
      .addColumn("id", "integer", (c) => c.primaryKey().autoIncrement())
      .addColumn("title", "text", (c) => c.notNull())
      .addColumn("severity", "integer", (c) => c.notNull())
      .addColumn("status", "text", (c) => c.notNull())
      .addColumn("env", "text")
      .addColumn("app", "text")
      .addColumn("opened_at", "integer", (c) => c.notNull())
      .addColumn("opened_by", "text", (c) => c.notNull())
      .addColumn("impact_started_at", "integer")
      .addColumn("detected_at", "integer", (c) => c.notNull())
      .addColumn("acknowledged_at", "integer")
      .addColumn("mitigated_at", "integer")
      .addColumn("resolved_at", "integer")
      .addColumn("roles", "text", (c) => c.notNull())
      .addColumn("alerts", "text", (c) => c.notNull())
      .addColumn("updated_at", "integer", (c) => c.notNull())
      .execute();
    await db.schema.createIndex("incidents_scope").on("incidents").columns(["env", "app", "status"]).execute();
    await db.schema
      .createTable("postmortems")
      .addColumn("incident_id", "integer", (c) => c.primaryKey())
      .addColumn("edits", "text", (c) => c.notNull())
      .addColumn("updated_at", "integer", (c) => c.notNull())
      .addColumn("updated_by", "text", (c) => c.notNull())
      .execute();
  },
};
