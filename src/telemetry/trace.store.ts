import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { DatabaseSync, type StatementSync } from "node:sqlite";
import { z } from "zod";
import { parseJsonAs } from "../shared/checked-json.ts";
import type { Clock } from "../shared/clock.ts";
import { spanPath, type SpanRecord, type TraceSummary } from "./trace.types.ts";

export interface TraceStoreOptions {
  path: string;
  clock: Clock;
  /** Spans older than this are deleted (default 7 days). */
  maxAgeMs?: number;
  /** At most this many spans are kept, the oldest deleted first (default 2 million). */
  maxSpans?: number;
}

export interface TraceListQuery {
  env: string;
  app: string;
  route?: string;
  sinceMs?: number;
  /** Longest first instead of newest first. */
  slowest?: boolean;
  errorsOnly?: boolean;
  limit: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS spans (
  trace_id TEXT NOT NULL, span_id TEXT NOT NULL, parent_id TEXT, env TEXT NOT NULL, app TEXT NOT NULL, release INTEGER, instance TEXT,
  service TEXT NOT NULL, name TEXT NOT NULL, kind INTEGER NOT NULL, route TEXT, http_status INTEGER, error INTEGER NOT NULL,
  start_ms REAL NOT NULL, duration_ms REAL NOT NULL, source TEXT NOT NULL, entry INTEGER NOT NULL, attributes TEXT NOT NULL,
  PRIMARY KEY (trace_id, span_id));
CREATE INDEX IF NOT EXISTS spans_entry ON spans (env, app, entry, start_ms);
CREATE INDEX IF NOT EXISTS spans_start ON spans (start_ms);
`;

/**
 * Spans of the edge and of the apps in their own SQLite file (not the control plane's database: a burst of spans
 * must not queue behind, or hold up, a deploy's transaction). Indexed by trace id and by app × time for listings.
 */
export class TraceStore {
  readonly #db: DatabaseSync;
  readonly #clock: Clock;
  readonly #maxAgeMs: number;
  readonly #maxSpans: number;
  readonly #insert: StatementSync;

  constructor(options: TraceStoreOptions) {
    mkdirSync(dirname(options.path), { recursive: true, mode: 0o700 });
    this.#db = new DatabaseSync(options.path);
    this.#db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;");
    this.#db.exec(SCHEMA);
    this.#clock = options.clock;
    this.#maxAgeMs = options.maxAgeMs ?? 7 * 24 * 3600_000;
    this.#maxSpans = options.maxSpans ?? 2_000_000;
    // A span sent twice (an exporter's retry) is stored once.
    this.#insert = this.#db.prepare(
      "INSERT OR IGNORE INTO spans (trace_id, span_id, parent_id, env, app, release, instance, service, name, kind, route, http_status, error, start_ms, duration_ms, source, entry, attributes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    );
  }

  insert(spans: readonly SpanRecord[]): void {
    if (spans.length === 0) return;
    this.#db.exec("BEGIN");
    try {
      for (const s of spans) {
        // A trace's entry: the edge's span, or a span with no parent (the trace did not pass the edge).
        const entry = s.source === "edge" || s.parentSpanId === null ? 1 : 0;
        this.#insert.run(
          s.traceId,
          s.spanId,
          s.parentSpanId,
          s.env,
          s.app,
          s.release,
          s.instance,
          s.service,
          s.name,
          s.kind,
          s.route,
          s.httpStatus,
          s.error ? 1 : 0,
          s.startMs,
          s.durationMs,
          s.source,
          entry,
          JSON.stringify(s.attributes),
        );
      }
      this.#db.exec("COMMIT");
    } catch (error) {
      this.#db.exec("ROLLBACK");
      throw error;
    }
  }

  /** Every span of one trace, by start time. */
  trace(traceId: string): SpanRecord[] {
    return this.#db.prepare("SELECT * FROM spans WHERE trace_id = ? ORDER BY start_ms, span_id").all(traceId.toLowerCase()).map(toSpan);
  }

  listRoots(q: TraceListQuery): TraceSummary[] {
    const where = ["env = ?", "app = ?", "entry = 1"];
    const args: (string | number)[] = [q.env, q.app];
    if (q.sinceMs !== undefined) where.push("start_ms >= ?"), args.push(q.sinceMs);
    if (q.route !== undefined)
      where.push("(route = ? OR route = ?)"), args.push(q.route, q.route.endsWith("/") ? q.route.slice(0, -1) : `${q.route}/`);
    if (q.errorsOnly) where.push("error = 1");
    const order = q.slowest ? "duration_ms DESC" : "start_ms DESC";
    const sql = `SELECT s.*, (SELECT count(*) FROM spans c WHERE c.trace_id = s.trace_id) AS span_count FROM spans s WHERE ${where.join(" AND ")} ORDER BY ${order} LIMIT ?`;
    return this.#db
      .prepare(sql)
      .all(...args, q.limit)
      .map((row) => {
        const s = toSpan(row);
        return {
          traceId: s.traceId,
          env: s.env,
          app: s.app,
          name: s.name,
          route: s.route,
          path: spanPath(s.attributes),
          httpStatus: s.httpStatus,
          error: s.error,
          startMs: s.startMs,
          durationMs: s.durationMs,
          spans: Number(row.span_count),
        };
      });
  }

  enforceRetention(): { removed: number } {
    let removed = Number(this.#db.prepare("DELETE FROM spans WHERE start_ms < ?").run(this.#clock.now() - this.#maxAgeMs).changes);
    const count = Number(this.#db.prepare("SELECT count(*) AS n FROM spans").get()?.n ?? 0);
    if (count > this.#maxSpans) {
      removed += Number(
        this.#db.prepare("DELETE FROM spans WHERE rowid IN (SELECT rowid FROM spans ORDER BY start_ms LIMIT ?)").run(count - this.#maxSpans)
          .changes,
      );
    }
    return { removed };
  }

  close(): void {
    if (this.#db.isOpen) this.#db.close();
  }
}

/** A span's attributes, stored as a JSON object. */
const attributesSchema = z.record(z.string(), z.unknown());

function toSpan(row: Record<string, unknown>): SpanRecord {
  return {
    traceId: String(row.trace_id),
    spanId: String(row.span_id),
    parentSpanId: row.parent_id === null ? null : String(row.parent_id),
    env: String(row.env),
    app: String(row.app),
    release: row.release === null ? null : Number(row.release),
    instance: row.instance === null ? null : String(row.instance),
    service: String(row.service),
    name: String(row.name),
    kind: Number(row.kind),
    route: row.route === null ? null : String(row.route),
    httpStatus: row.http_status === null ? null : Number(row.http_status),
    error: Number(row.error) === 1,
    startMs: Number(row.start_ms),
    durationMs: Number(row.duration_ms),
    source: row.source === "edge" ? "edge" : "otlp",
    attributes: parseJsonAs(attributesSchema, String(row.attributes), `spans.attributes of span ${String(row.span_id)}`),
  };
}
