import type { Selectable } from "kysely";
import type { Db } from "../db/database.ts";
import type { InstancesTable } from "../db/database.types.ts";
import type { InstanceRecord, InstanceStatus } from "./instance.types.ts";

export type InstancePatch = Partial<Omit<InstanceRecord, "id" | "env" | "app" | "release" | "slot">>;

export class InstanceStore {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  async insert(db: Db, record: InstanceRecord): Promise<void> {
    await db
      .insertInto("instances")
      .values({
        id: record.id,
        env: record.env,
        app: record.app,
        release: record.release,
        slot: record.slot,
        port: record.port,
        status: record.status,
        // Legacy column: where traffic goes is the traffic table's (src/traffic); kept because migrations never drop.
        routable: 0,
        pid: record.pid,
        pid_start: record.pidStart,
        runner_pid: record.runnerPid,
        runner_start: record.runnerStart,
        restarts: record.restarts,
        started_at: record.startedAt,
        updated_at: record.updatedAt,
        log_path: record.logPath,
        state_dir: record.stateDir,
        last_exit: record.lastExit,
      })
      .execute();
  }

  async update(db: Db, id: string, patch: InstancePatch): Promise<void> {
    const row = toRow(patch);
    if (Object.keys(row).length === 0) return;
    await db.updateTable("instances").set(row).where("id", "=", id).execute();
  }

  async get(id: string): Promise<InstanceRecord | undefined> {
    const row = await this.#db.selectFrom("instances").selectAll().where("id", "=", id).executeTakeFirst();
    return row && fromRow(row);
  }

  /** Every instance that is not stopped, across environments. */
  async listActive(): Promise<InstanceRecord[]> {
    const rows = await this.#db.selectFrom("instances").selectAll().where("status", "!=", "stopped").orderBy("id").execute();
    return rows.map(fromRow);
  }

  async listForApp(env: string, app: string, options: { release?: number; includeStopped?: boolean } = {}): Promise<InstanceRecord[]> {
    let q = this.#db.selectFrom("instances").selectAll().where("env", "=", env).where("app", "=", app);
    if (options.release !== undefined) q = q.where("release", "=", options.release);
    if (!options.includeStopped) q = q.where("status", "!=", "stopped");
    const rows = await q.orderBy("release").orderBy("slot").execute();
    return rows.map(fromRow);
  }
}

function fromRow(row: Selectable<InstancesTable>): InstanceRecord {
  return {
    id: row.id,
    env: row.env,
    app: row.app,
    release: row.release,
    slot: row.slot,
    port: row.port,
    status: row.status as InstanceStatus,
    pid: row.pid,
    pidStart: row.pid_start,
    runnerPid: row.runner_pid,
    runnerStart: row.runner_start,
    restarts: row.restarts,
    startedAt: row.started_at,
    updatedAt: row.updated_at,
    logPath: row.log_path,
    stateDir: row.state_dir,
    lastExit: row.last_exit,
  };
}

function toRow(record: InstancePatch): Partial<InstancesTable> {
  const row: Partial<InstancesTable> = {};
  if (record.port !== undefined) row.port = record.port;
  if (record.status !== undefined) row.status = record.status;
  if (record.pid !== undefined) row.pid = record.pid;
  if (record.pidStart !== undefined) row.pid_start = record.pidStart;
  if (record.runnerPid !== undefined) row.runner_pid = record.runnerPid;
  if (record.runnerStart !== undefined) row.runner_start = record.runnerStart;
  if (record.restarts !== undefined) row.restarts = record.restarts;
  if (record.startedAt !== undefined) row.started_at = record.startedAt;
  if (record.updatedAt !== undefined) row.updated_at = record.updatedAt;
  if (record.logPath !== undefined) row.log_path = record.logPath;
  if (record.stateDir !== undefined) row.state_dir = record.stateDir;
  if (record.lastExit !== undefined) row.last_exit = record.lastExit;
  return row;
}
