import type { Selectable } from "kysely";
import { z } from "zod";
import type { Db } from "../db/database.ts";
import { parseJsonAs } from "../shared/checked-json.ts";
import { incidentDb, type IncidentTables } from "./incident-tables.ts";
import {
  incidentStatusSchema,
  postmortemEditSchema,
  roleAssignmentsSchema,
  severitySchema,
  type IncidentSeverity,
  type IncidentStatus,
  type PostmortemEdit,
  type RoleAssignments,
} from "./incident.types.ts";

export interface IncidentRecord {
  id: number;
  title: string;
  severity: IncidentSeverity;
  status: IncidentStatus;
  env: string | null;
  app: string | null;
  openedAt: number;
  openedBy: string;
  impactStartedAt: number | null;
  detectedAt: number;
  acknowledgedAt: number | null;
  mitigatedAt: number | null;
  resolvedAt: number | null;
  roles: RoleAssignments;
  alerts: string[];
}

export type NewIncident = Omit<IncidentRecord, "id">;
export type IncidentPatch = Partial<Omit<IncidentRecord, "id" | "openedAt" | "openedBy">>;

export interface PostmortemRecord {
  edits: PostmortemEdit;
  updatedAt: number;
  updatedBy: string;
}

/** Incidents and the edits written over their postmortem drafts. Writes take the transaction they commit in. */
export class IncidentStore {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  async insert(trx: Db, incident: NewIncident, now: number): Promise<IncidentRecord> {
    const { id } = await incidentDb(trx)
      .insertInto("incidents")
      .values({ ...toRow(incident), updated_at: now })
      .returning("id")
      .executeTakeFirstOrThrow();
    return { ...incident, id };
  }

  /** `openedAt` only to align a new incident's opening with its event's time. */
  async update(trx: Db, id: number, patch: IncidentPatch, now: number, openedAt?: number): Promise<void> {
    const current = await this.get(id, trx);
    if (!current) throw new Error(`incident ${id} vanished while it was being changed`);
    await incidentDb(trx)
      .updateTable("incidents")
      .set({ ...toRow({ ...current, ...patch, openedAt: openedAt ?? current.openedAt }), updated_at: now })
      .where("id", "=", id)
      .execute();
  }

  async get(id: number, db: Db = this.#db): Promise<IncidentRecord | null> {
    const row = await incidentDb(db).selectFrom("incidents").selectAll().where("id", "=", id).executeTakeFirst();
    return row ? fromRow(row) : null;
  }

  async list(filter: { open?: boolean; env?: string; app?: string } = {}, db: Db = this.#db): Promise<IncidentRecord[]> {
    let q = incidentDb(db).selectFrom("incidents").selectAll();
    if (filter.open === true) q = q.where("status", "!=", "resolved");
    if (filter.open === false) q = q.where("status", "=", "resolved");
    if (filter.env !== undefined) q = q.where("env", "=", filter.env);
    if (filter.app !== undefined) q = q.where("app", "=", filter.app);
    return (await q.orderBy("id", "desc").execute()).map(fromRow);
  }

  async postmortem(id: number): Promise<PostmortemRecord | null> {
    const row = await incidentDb(this.#db).selectFrom("postmortems").selectAll().where("incident_id", "=", id).executeTakeFirst();
    if (!row) return null;
    return {
      edits: parseJsonAs(postmortemEditSchema, row.edits, `postmortems.edits of incident ${id}`),
      updatedAt: row.updated_at,
      updatedBy: row.updated_by,
    };
  }

  /**
   * Writes the postmortem's edits. With `ifUpdatedAt` (the saved version's time the edit began from; null: none was
   * saved) the write happens only if that is still the saved one, checked by the write itself so two saves racing
   * cannot both pass: false when it did not.
   */
  async savePostmortem(
    trx: Db,
    id: number,
    edits: PostmortemEdit,
    actor: string,
    now: number,
    ifUpdatedAt?: number | null,
  ): Promise<boolean> {
    const values = { incident_id: id, edits: JSON.stringify(edits), updated_at: now, updated_by: actor };
    const db = incidentDb(trx);
    if (ifUpdatedAt === undefined) {
      await db
        .insertInto("postmortems")
        .values(values)
        .onConflict((oc) => oc.column("incident_id").doUpdateSet({ edits: values.edits, updated_at: now, updated_by: actor }))
        .execute();
      return true;
    }
    if (ifUpdatedAt === null) {
      const inserted = await db
        .insertInto("postmortems")
        .values(values)
        .onConflict((oc) => oc.column("incident_id").doNothing())
        .executeTakeFirst();
      return Number(inserted.numInsertedOrUpdatedRows ?? 0) === 1;
    }
    const updated = await db
      .updateTable("postmortems")
      .set({ edits: values.edits, updated_at: now, updated_by: actor })
      .where("incident_id", "=", id)
      .where("updated_at", "=", ifUpdatedAt)
      .executeTakeFirst();
    return Number(updated.numUpdatedRows) === 1;
  }
}

function toRow(i: NewIncident) {
  return {
    title: i.title,
    severity: i.severity,
    status: i.status,
    env: i.env,
    app: i.app,
    opened_at: i.openedAt,
    opened_by: i.openedBy,
    impact_started_at: i.impactStartedAt,
    detected_at: i.detectedAt,
    acknowledged_at: i.acknowledgedAt,
    mitigated_at: i.mitigatedAt,
    resolved_at: i.resolvedAt,
    roles: JSON.stringify(i.roles),
    alerts: JSON.stringify(i.alerts),
  };
}

function fromRow(row: Selectable<IncidentTables["incidents"]>): IncidentRecord {
  const what = `incident ${row.id}`;
  return {
    id: row.id,
    title: row.title,
    severity: severitySchema.parse(row.severity) as IncidentSeverity,
    status: incidentStatusSchema.parse(row.status),
    env: row.env,
    app: row.app,
    openedAt: row.opened_at,
    openedBy: row.opened_by,
    impactStartedAt: row.impact_started_at,
    detectedAt: row.detected_at,
    acknowledgedAt: row.acknowledged_at,
    mitigatedAt: row.mitigated_at,
    resolvedAt: row.resolved_at,
    roles: parseJsonAs(roleAssignmentsSchema, row.roles, `incidents.roles of ${what}`),
    alerts: parseJsonAs(z.array(z.string()), row.alerts, `incidents.alerts of ${what}`),
  };
}
