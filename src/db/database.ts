import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { Kysely } from "kysely";
import { Migrator, type MigrationProvider } from "kysely/migration";
import { createNodeSqliteDialect } from "./node-sqlite-dialect.ts";
import { migrations } from "./migrations.ts";
import type { Database } from "./database.types.ts";

export type Db = Kysely<Database>;

export interface OpenedDatabase {
  db: Db;
  path: string;
  close(): Promise<void>;
}

/**
 * Opens (creating if needed) the SQLite store in the data dir and brings it to the latest migration.
 * WAL with synchronous=NORMAL: a committed transaction survives a kill -9 of Rampart (the OS holds it);
 * only a power loss can take the last few, which is the trade every WAL-mode SQLite service makes.
 */
export async function openDatabase(dataDir: string): Promise<OpenedDatabase> {
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, "rampart.db");
  const sqlite = new DatabaseSync(path);
  sqlite.exec("PRAGMA journal_mode = WAL");
  sqlite.exec("PRAGMA synchronous = NORMAL");
  sqlite.exec("PRAGMA foreign_keys = ON");
  sqlite.exec("PRAGMA busy_timeout = 5000");
  const db = new Kysely<Database>({ dialect: createNodeSqliteDialect(sqlite) });
  await migrateToLatest(db);
  return { db, path, close: () => db.destroy() };
}

async function migrateToLatest(db: Db): Promise<void> {
  const provider: MigrationProvider = { getMigrations: async () => migrations };
  const { error, results } = await new Migrator({ db, provider }).migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === "Error")?.migrationName ?? "unknown";
    throw new Error(`database migration ${failed} failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}
