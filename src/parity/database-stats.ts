// pg is loaded on the first inspection, not at start-up: most platforms never compare a database.
import type pgTypes from "pg";
import { errorMessage } from "../shared/errors.ts";
import type { TableStats } from "./parity.types.ts";

/** Reads the size and shape of one database: tables, estimated rows and bytes, indexes. Never a row of data. */
export interface DatabaseInspector {
  inspect(kind: string, url: string): Promise<TableStats[]>;
}

const TABLES_SQL = `
SELECT n.nspname AS schema, c.relname AS name,
       CASE WHEN c.reltuples < 0 THEN COALESCE(s.n_live_tup, 0) ELSE c.reltuples END::float8 AS rows,
       pg_total_relation_size(c.oid)::float8 AS bytes
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid
WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
ORDER BY 1, 2`;

const INDEXES_SQL = `
SELECT schemaname AS schema, tablename AS table, indexname AS name, indexdef AS definition
FROM pg_indexes WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2, 3`;

const qualified = (schema: string, name: string) => (schema === "public" ? name : `${schema}.${name}`);

/**
 * PostgreSQL's own statistics (pg_class, pg_stat_user_tables, pg_indexes): cheap to read at any size, in a
 * read-only transaction with a statement timeout. Row counts are the planner's estimates, as fresh as the last
 * ANALYZE (autovacuum keeps them close).
 */
export const postgresInspector: DatabaseInspector = {
  async inspect(kind, url) {
    if (kind !== "postgres") throw new Error(`database kind ${kind} cannot be inspected (postgres only)`);
    const { default: pg } = await import("pg");
    const client: pgTypes.Client = new pg.Client({
      connectionString: url,
      connectionTimeoutMillis: 5_000,
      application_name: "rampart parity",
    });
    // A connection that dies later must not crash the control plane.
    client.on("error", () => {});
    try {
      await client.connect();
      await client.query("BEGIN TRANSACTION READ ONLY");
      await client.query("SET LOCAL statement_timeout = 10000");
      const tables = await client.query<{ schema: string; name: string; rows: number; bytes: number }>(TABLES_SQL);
      const indexes = await client.query<{ schema: string; table: string; name: string; definition: string }>(INDEXES_SQL);
      return tables.rows.map((t) => ({
        name: qualified(t.schema, t.name),
        rows: Number(t.rows),
        bytes: Number(t.bytes),
        indexes: indexes.rows
          .filter((i) => i.schema === t.schema && i.table === t.name)
          .map((i) => ({ name: qualified(i.schema, i.name), definition: i.definition })),
      }));
    } finally {
      await client.query("ROLLBACK").catch(() => {});
      await client.end().catch(() => {});
    }
  },
};

/** An error about a database, with its URL (and so its password) taken out. */
export function redactedError(error: unknown, url: string): string {
  let text = errorMessage(error);
  const secrets = [url];
  try {
    const parsed = new URL(url);
    if (parsed.password) secrets.push(decodeURIComponent(parsed.password), parsed.password);
  } catch {
    // Not a URL: the whole string is what is taken out.
  }
  for (const secret of secrets) if (secret.length > 0) text = text.split(secret).join("***");
  return text;
}
