import type { DatabaseSync, StatementSync, SQLInputValue } from "node:sqlite";
import { SqliteDialect, type SqliteDatabase, type SqliteStatement } from "kysely";

/**
 * Kysely's SqliteDialect expects a better-sqlite3-shaped database; Node's built-in node:sqlite is close
 * enough that a thin adapter suffices, and it spares users a native addon to compile on install.
 */
export function createNodeSqliteDialect(db: DatabaseSync, hooks?: CommitHooks): SqliteDialect {
  return new SqliteDialect({ database: adaptDatabase(db, hooks) });
}

/** Told when a transaction is about to commit (the event audit in tests: src/db/event-audit.ts). */
export interface CommitHooks {
  /** Just before COMMIT, inside the transaction; and after a statement that ran in autocommit mode. */
  beforeCommit(): void;
}

function adaptDatabase(db: DatabaseSync, hooks: CommitHooks | undefined): SqliteDatabase {
  return {
    close: () => db.close(),
    prepare: (sql: string) => {
      // SQLite ends a transaction itself on some errors (SQLITE_FULL, SQLITE_IOERR …); Kysely's rollback would then
      // fail with "no transaction is active" and replace the error that matters (the disk is full) with its own.
      if (/^\s*rollback\s*$/i.test(sql) && !db.isTransaction) return NOTHING_TO_ROLL_BACK;
      const statement = adaptStatement(db.prepare(sql));
      return hooks ? withHooks(db, sql, statement, hooks) : statement;
    },
  };
}

function withHooks(db: DatabaseSync, sql: string, statement: SqliteStatement, hooks: CommitHooks): SqliteStatement {
  const commit = /^\s*commit\s*$/i.test(sql);
  const after = <T>(result: T): T => {
    if (!db.isTransaction) hooks.beforeCommit();
    return result;
  };
  return {
    reader: statement.reader,
    all: (parameters) => after(statement.all(parameters)),
    run: (parameters) => {
      if (commit) hooks.beforeCommit();
      return after(statement.run(parameters));
    },
    iterate: (parameters) => statement.iterate(parameters),
  };
}

const NOTHING_TO_ROLL_BACK: SqliteStatement = {
  reader: false,
  all: () => [],
  run: () => ({ changes: 0, lastInsertRowid: 0 }),
  iterate: () => [][Symbol.iterator](),
};

function adaptStatement(statement: StatementSync): SqliteStatement {
  const reader = statement.columns().length > 0;
  return {
    reader,
    all: (parameters) => statement.all(...toInputs(parameters)),
    run: (parameters) => {
      const result = statement.run(...toInputs(parameters));
      return { changes: result.changes, lastInsertRowid: result.lastInsertRowid };
    },
    iterate: (parameters) => statement.iterate(...toInputs(parameters)),
  };
}

function toInputs(parameters: ReadonlyArray<unknown>): SQLInputValue[] {
  return parameters.map((value) => {
    if (typeof value === "boolean") return value ? 1 : 0;
    if (value === undefined) return null;
    return value as SQLInputValue;
  });
}
