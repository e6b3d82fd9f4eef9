// pg is loaded on the first query, not at start-up: most platforms never run one.
import type pgTypes from "pg";
import type { ResolvedApp } from "../config/resolved-manifest.schema.ts";
import type { EventLog } from "../events/event-log.ts";
import type { Clock } from "../shared/clock.ts";
import { errorMessage, notFound, RampartError } from "../shared/errors.ts";
import type { DbQueryBody, DbQueryResult } from "./db-query.types.ts";

export interface DbQueryDeps {
  /** The app's resolved config in the environment (throws unknown_environment / unknown_app). */
  config(env: string, app: string): Pick<ResolvedApp, "databases">;
  secrets: { currentValue(env: string, app: string, name: string): Promise<string> };
  events: EventLog;
  clock: Clock;
}

/**
 * Gated production data access (Teleport's model): one query, in a READ ONLY transaction with a statement timeout,
 * at most `limit` rows read through a cursor, always rolled back, and recorded as a db.query event (actor, text,
 * rows, duration, outcome) whether it succeeded or not. A write is refused by PostgreSQL itself (SQLSTATE 25006),
 * not by parsing the text. Who may call it is the route's permission (`db.query`: a just-in-time grant in a
 * protected environment).
 */
export class DbQueryService {
  readonly #deps: DbQueryDeps;

  constructor(deps: DbQueryDeps) {
    this.#deps = deps;
  }

  async query(env: string, app: string, db: string, body: DbQueryBody, actor: string): Promise<DbQueryResult> {
    const config = this.#deps.config(env, app);
    const declared = config.databases?.[db];
    if (!declared) {
      const names = Object.keys(config.databases ?? {});
      throw notFound(
        `database "${db}" of ${app}`,
        names.length > 0
          ? `${app}'s databases: ${names.join(", ")}`
          : `declare it: apps.${app}.databases.${db}: { kind: postgres, url_secret: DATABASE_URL }`,
      );
    }
    const url = await this.#deps.secrets.currentValue(env, app, declared.urlSecret);
    const started = this.#deps.clock.now();
    const record = (outcome: "ok" | "refused" | "failed", rows: number, error?: string) =>
      this.#deps.events.append({
        env,
        app,
        actor,
        type: "db.query",
        message: `${actor} queried ${app}/${db} in ${env}: ${outcome === "ok" ? `${rows} row(s)` : outcome} in ${this.#deps.clock.now() - started} ms`,
        data: { db, sql: body.sql, rows, durationMs: this.#deps.clock.now() - started, outcome, error: error ?? null, limit: body.limit },
      });
    const { default: pg } = await import("pg");
    const { default: Cursor } = await import("pg-cursor");
    const client: pgTypes.Client = new pg.Client({
      connectionString: url,
      connectionTimeoutMillis: 5_000,
      application_name: `rampart db query (${actor})`,
    });
    // A connection that dies later must not crash the control plane.
    client.on("error", () => {});
    try {
      await client.connect();
    } catch (error) {
      await record("failed", 0, `cannot connect: ${describe(error)}`);
      throw new RampartError("db_unreachable", `cannot connect to ${app}'s database "${db}" in ${env}: ${describe(error)}`, {
        hint: `check its URL (secret ${declared.urlSecret}: rampart secrets history ${app} ${declared.urlSecret} --env ${env}) and that the database is up`,
      });
    }
    try {
      await client.query("BEGIN TRANSACTION READ ONLY");
      await client.query(`SET LOCAL statement_timeout = ${body.timeout_ms}`);
      const cursor = client.query(new Cursor(body.sql, [], { rowMode: "array" }));
      const { rows, fields } = await new Promise<{ rows: unknown[][]; fields: string[] }>((resolve, reject) => {
        cursor.read(body.limit + 1, (error, rows, result) =>
          error ? reject(error) : resolve({ rows: rows as unknown[][], fields: (result.fields ?? []).map((f) => f.name) }),
        );
      });
      await cursor.close();
      const truncated = rows.length > body.limit;
      const kept = rows.slice(0, body.limit).map((row) => row.map(toJson));
      await record("ok", kept.length);
      return { columns: fields, rows: kept, truncated, durationMs: this.#deps.clock.now() - started };
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      // 25006: read_only_sql_transaction, PostgreSQL's own refusal of a write.
      const refused = code === "25006";
      await record(refused ? "refused" : "failed", 0, describe(error));
      throw new RampartError("db_query_failed", `${app}/${db} in ${env}: ${describe(error)}`, {
        hint: refused
          ? "rampart db query only reads: it runs in a read-only transaction, and PostgreSQL refused the write"
          : code === "57014"
            ? `the query ran longer than ${body.timeout_ms} ms; narrow it, or pass --timeout`
            : "fix the query and run it again",
        details: { sqlstate: typeof code === "string" ? code : null },
      });
    } finally {
      await client.query("ROLLBACK").catch(() => {});
      await client.end().catch(() => {});
    }
  }
}

function describe(error: unknown): string {
  return errorMessage(error);
}

/** Values as JSON can carry them: dates as ISO text, bytes as \x hex (PostgreSQL's own notation). */
function toJson(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (Buffer.isBuffer(value)) return `\\x${value.toString("hex")}`;
  return value;
}
