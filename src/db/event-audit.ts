import { appendFileSync } from "node:fs";
import type { DatabaseSync } from "node:sqlite";

/** A transaction that changed state tables and appended no event. */
export interface EventAuditViolation {
  /** "table:operation" of every write the transaction made, e.g. "instances:update". */
  writes: string[];
  at: number;
}

/** Tables that may change without an event: every one with its reason (src/platform/migrations.ts lists them). */
export type EventlessTables = Record<string, string>;

/**
 * Proves that every state change is an event (docs/architecture.md, "The event log"). In test mode, temporary
 * SQLite triggers on every state table record each write in a temp table, and a trigger on `events` records each
 * append; at every commit (and after every statement that runs outside a transaction) the writes are checked:
 * state written with no event in the same transaction is a violation. Temp tables and triggers belong to this
 * connection only and are never persisted, so an audited data dir is an ordinary one.
 */
export class EventAudit {
  readonly violations: EventAuditViolation[] = [];
  readonly #sqlite: DatabaseSync;
  readonly #file: string | undefined;
  #installed = false;

  constructor(sqlite: DatabaseSync, options: { file?: string } = {}) {
    this.#sqlite = sqlite;
    this.#file = options.file;
  }

  /** Creates the triggers; run after the migrations, so every table exists. Returns the audited tables. */
  install(eventless: EventlessTables): string[] {
    const tables = this.#sqlite
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
      .all()
      .map((row) => String(row.name));
    this.#sqlite.exec("CREATE TEMP TABLE IF NOT EXISTS audit_writes (what TEXT NOT NULL)");
    const audited = tables.filter((t) => t !== "events" && !(t in eventless));
    for (const table of [...audited, "events"]) {
      for (const op of ["insert", "update", "delete"]) {
        if (table === "events" && op !== "insert") continue;
        const name = `audit_${table}_${op}`;
        this.#sqlite.exec(
          `CREATE TEMP TRIGGER IF NOT EXISTS "${name}" AFTER ${op.toUpperCase()} ON main."${table}" BEGIN INSERT INTO temp.audit_writes VALUES ('${table}:${op}'); END`,
        );
      }
    }
    this.#installed = true;
    return audited;
  }

  /** Called just before a commit, and after a statement that ran in autocommit (its own transaction). */
  check(): void {
    // Before install (the migrations run first) there is nothing to check.
    if (!this.#installed) return;
    const rows = this.#sqlite.prepare("SELECT what FROM temp.audit_writes").all();
    if (rows.length === 0) return;
    this.#sqlite.exec("DELETE FROM temp.audit_writes");
    const writes = [...new Set(rows.map((row) => String(row.what)))];
    if (writes.includes("events:insert")) return;
    const violation = { writes, at: Date.now() };
    this.violations.push(violation);
    if (this.#file) appendFileSync(this.#file, `${JSON.stringify({ ...violation, stack: new Error().stack })}\n`);
  }
}
