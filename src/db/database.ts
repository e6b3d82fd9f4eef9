import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { Kysely } from "kysely";
import { Migrator, type Migration, type MigrationProvider } from "kysely/migration";
import { createNodeSqliteDialect } from "./node-sqlite-dialect.ts";
import type { Database } from "./database.types.ts";
import { EventAudit, type EventlessTables } from "./event-audit.ts";

export type Db = Kysely<Database>;

export interface OpenedDatabase {
  db: Db;
  path: string;
  /** Present when opened with `audit`: every commit is checked for state written without an event. */
  audit?: EventAudit;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** Test mode: audit every transaction (src/db/event-audit.ts); violations also go to `file` when given. */
  audit?: { eventless: EventlessTables; file?: string };
}

/**
 * Opens (creating if needed) the SQLite store in the data dir and brings it to the latest of `migrations`
 * (the platform's: src/platform/migrations.ts; the capabilities register theirs there).
 * WAL with synchronous=NORMAL: a committed transaction survives a kill -9 of Rampart (the OS holds it);
 * only a power loss can take the last few, which is the trade every WAL-mode SQLite service makes.
 */
export async function openDatabase(
  dataDir: string,
  migrations: Record<string, Migration>,
  options: OpenOptions = {},
): Promise<OpenedDatabase> {
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, "rampart.db");
  const sqlite = new DatabaseSync(path);
  sqlite.exec("PRAGMA journal_mode = WAL");
  sqlite.exec("PRAGMA synchronous = NORMAL");
  sqlite.exec("PRAGMA foreign_keys = ON");
  sqlite.exec("PRAGMA busy_timeout = 5000");
  const audit = options.audit ? new EventAudit(sqlite, { file: options.audit.file }) : undefined;
  const db = new Kysely<Database>({ dialect: createNodeSqliteDialect(sqlite, audit && { beforeCommit: () => audit.check() }) });
  await migrateToLatest(db, migrations);
  if (audit && options.audit) audit.install(options.audit.eventless);
  return { db, path, audit, close: () => db.destroy() };
}

async function migrateToLatest(db: Db, migrations: Record<string, Migration>): Promise<void> {
  const provider: MigrationProvider = { getMigrations: async () => migrations };
  const { error, results } = await new Migrator({ db, provider }).migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === "Error")?.migrationName ?? "unknown";
    throw new Error(`database migration ${failed} failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}
