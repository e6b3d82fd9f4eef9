import { z } from "zod";
import type { Db } from "../db/database.ts";
import { parseJsonAs } from "../shared/checked-json.ts";
import type { ApiRule } from "./alert-rules.ts";
import type { AlertInstance } from "./alert.types.ts";
import { severities } from "./alert.types.ts";

/** The alert tables (migration 0010_alerts), known to Kysely through `withTables` so the shared Database type stays untouched. */
export type AlertTables = {
  alert_instances: {
    fingerprint: string;
    rule: string;
    state: string;
    labels: string;
    annotations: string;
    value: number | null;
    active_at: number;
    fired_at: number | null;
  };
  alert_rules: { name: string; app: string | null; definition: string; updated_at: number; updated_by: string };
};

const stringMap = z.record(z.string(), z.string());
const definitionSchema = z.object({
  expr: z.string(),
  forMs: z.number(),
  severity: z.enum(severities),
  labels: stringMap,
  annotations: stringMap,
});

/** Active alerts (pending, firing) and API rules. Writes take the caller's transaction. */
export class AlertStore {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  async active(): Promise<AlertInstance[]> {
    const rows = await alertDb(this.#db).selectFrom("alert_instances").selectAll().execute();
    return rows.map((r) => ({
      fingerprint: r.fingerprint,
      rule: r.rule,
      state: r.state === "firing" ? "firing" : "pending",
      labels: parseJsonAs(stringMap, r.labels, `alert_instances.labels of ${r.fingerprint}`),
      annotations: parseJsonAs(stringMap, r.annotations, `alert_instances.annotations of ${r.fingerprint}`),
      value: r.value ?? Number.NaN,
      activeAt: r.active_at,
      firedAt: r.fired_at,
      resolvedAt: null,
    }));
  }

  async put(trx: Db, a: AlertInstance): Promise<void> {
    const row = {
      rule: a.rule,
      state: a.state,
      labels: JSON.stringify(a.labels),
      annotations: JSON.stringify(a.annotations),
      value: Number.isFinite(a.value) ? a.value : null,
      active_at: a.activeAt,
      fired_at: a.firedAt,
    };
    await alertDb(trx)
      .insertInto("alert_instances")
      .values({ fingerprint: a.fingerprint, ...row })
      .onConflict((oc) => oc.column("fingerprint").doUpdateSet(row))
      .execute();
  }

  async remove(trx: Db, fingerprint: string): Promise<void> {
    await alertDb(trx).deleteFrom("alert_instances").where("fingerprint", "=", fingerprint).execute();
  }

  async rules(): Promise<(ApiRule & { updatedAt: number; updatedBy: string })[]> {
    const rows = await alertDb(this.#db).selectFrom("alert_rules").selectAll().orderBy("name").execute();
    return rows.map((r) => ({
      name: r.name,
      app: r.app,
      ...parseJsonAs(definitionSchema, r.definition, `alert_rules.definition of ${r.name}`),
      updatedAt: r.updated_at,
      updatedBy: r.updated_by,
    }));
  }

  async putRule(trx: Db, rule: ApiRule, at: number, by: string): Promise<void> {
    const { name, app, ...definition } = rule;
    const row = { app, definition: JSON.stringify(definition), updated_at: at, updated_by: by };
    await alertDb(trx)
      .insertInto("alert_rules")
      .values({ name, ...row })
      .onConflict((oc) => oc.column("name").doUpdateSet(row))
      .execute();
  }

  async removeRule(trx: Db, name: string): Promise<boolean> {
    const result = await alertDb(trx).deleteFrom("alert_rules").where("name", "=", name).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }
}

function alertDb(db: Db) {
  return db.withTables<AlertTables>();
}
