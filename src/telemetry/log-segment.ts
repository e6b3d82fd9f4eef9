import { DatabaseSync, type StatementSync } from "node:sqlite";
import { ICONTAINS_SQL_FUNCTION, grepSql, icontains, levelToken } from "./log-grep.ts";
import {
  LOG_LEVELS,
  levelName,
  logLevelNames,
  type IngestLine,
  type LogLevelName,
  type LogSource,
  type LogStreamLabels,
} from "./log-record.ts";

/** A stored line as a segment returns it (id is the segment's rowid: arrival order). */
export interface StoredLine {
  id: number;
  time: number;
  level: number;
  text: string;
  labels: LogStreamLabels;
}

export interface SegmentQuery {
  env?: string;
  app?: string;
  release?: number;
  instance?: string;
  minLevel?: number;
  sinceMs?: number;
  untilMs?: number;
  /** Text the line contains anywhere; case-insensitive unless caseSensitive. */
  grep?: string;
  caseSensitive?: boolean;
  /** Only lines stored after this id (live tail). */
  afterId?: number;
  limit: number;
}

export interface TailOffset {
  path: string;
  ino: number;
  offset: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS streams (id INTEGER PRIMARY KEY, env TEXT NOT NULL, app TEXT NOT NULL, release INTEGER NOT NULL, instance TEXT NOT NULL, stream TEXT NOT NULL, UNIQUE (env, app, release, instance, stream));
CREATE TABLE IF NOT EXISTS lines (id INTEGER PRIMARY KEY, time INTEGER NOT NULL, sid INTEGER NOT NULL, level INTEGER NOT NULL, text TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS lines_time ON lines (time);
CREATE VIRTUAL TABLE IF NOT EXISTS lines_fts USING fts5 (text, lvl, content = '', tokenize = 'trigram', detail = none);
CREATE TABLE IF NOT EXISTS offsets (path TEXT PRIMARY KEY, ino INTEGER NOT NULL, offset INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS bounds (one INTEGER PRIMARY KEY CHECK (one = 1), min_time INTEGER NOT NULL, max_time INTEGER NOT NULL);
`;

/**
 * One segment of the log index: an SQLite file holding the lines that arrived in one period, with an FTS5
 * trigram index over their text (any substring of three or more characters, case-insensitive) and level.
 * Segments written before the trigram index have a unicode61 word index instead: they are still searched,
 * narrowing by whole words where it can (log-grep.ts), and age out with retention. Retention drops whole
 * segments (a file delete), never rows.
 */
export class LogSegment {
  readonly path: string;
  readonly #db: DatabaseSync;
  readonly #streamIds = new Map<string, number>();
  readonly #labels = new Map<number, LogStreamLabels>();
  #insertLine: StatementSync | undefined;
  #insertFts: StatementSync | undefined;
  minTime = Number.POSITIVE_INFINITY;
  maxTime = Number.NEGATIVE_INFINITY;
  /** False for a segment written before the trigram index (its words index cannot find any substring). */
  readonly trigram: boolean;

  constructor(path: string, options: { readOnly?: boolean } = {}) {
    this.path = path;
    this.#db = new DatabaseSync(path, { readOnly: options.readOnly ?? false });
    if (!options.readOnly) {
      // A line lost to a power cut is re-read from the instance's file: the offset commits with it.
      this.#db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;");
      this.#db.exec(SCHEMA);
    }
    const fts = this.#db.prepare("SELECT sql FROM sqlite_master WHERE name = 'lines_fts'").get();
    this.trigram = String(fts?.sql ?? "").includes("trigram");
    this.#db.function(ICONTAINS_SQL_FUNCTION, { deterministic: true }, icontains);
    this.#loadStreams();
    const bounds = this.#db.prepare("SELECT min_time, max_time FROM bounds").get();
    if (bounds !== undefined) {
      this.minTime = Number(bounds.min_time);
      this.maxTime = Number(bounds.max_time);
    }
  }

  /** Appends lines and moves tail offsets in one transaction: a crash keeps both or neither. */
  append(lines: readonly IngestLine[], offsets: readonly TailOffset[] = []): number[] {
    const ids: number[] = [];
    this.#insertLine ??= this.#db.prepare("INSERT INTO lines (time, sid, level, text) VALUES (?, ?, ?, ?)");
    this.#insertFts ??= this.#db.prepare("INSERT INTO lines_fts (rowid, text, lvl) VALUES (?, ?, ?)");
    this.#db.exec("BEGIN");
    try {
      let min = this.minTime;
      let max = this.maxTime;
      for (const line of lines) {
        const id = Number(this.#insertLine.run(line.time, this.#streamId(line.labels), line.level, line.text).lastInsertRowid);
        this.#insertFts.run(id, line.text, this.#levelTerm(levelName(line.level)));
        ids.push(id);
        if (line.time < min) min = line.time;
        if (line.time > max) max = line.time;
      }
      const upsert = this.#db.prepare(
        "INSERT INTO offsets (path, ino, offset) VALUES (?, ?, ?) ON CONFLICT (path) DO UPDATE SET ino = excluded.ino, offset = excluded.offset",
      );
      for (const o of offsets) upsert.run(o.path, o.ino, o.offset);
      if (lines.length > 0)
        this.#db
          .prepare(
            "INSERT INTO bounds (one, min_time, max_time) VALUES (1, ?, ?) ON CONFLICT (one) DO UPDATE SET min_time = excluded.min_time, max_time = excluded.max_time",
          )
          .run(min, max);
      this.#db.exec("COMMIT");
      this.minTime = min;
      this.maxTime = max;
    } catch (error) {
      this.#db.exec("ROLLBACK");
      // Streams created in the rolled-back transaction are gone from the file: forget them too.
      this.#loadStreams();
      throw error;
    }
    return ids;
  }

  offsets(): TailOffset[] {
    return this.#db
      .prepare("SELECT path, ino, offset FROM offsets")
      .all()
      .map((r) => ({ path: String(r.path), ino: Number(r.ino), offset: Number(r.offset) }));
  }

  /** Newest first (by arrival), at most `limit`. */
  query(q: SegmentQuery): StoredLine[] {
    const sids = [...this.#labels].filter(([, l]) => matchesLabels(l, q)).map(([id]) => id);
    if (sids.length === 0) return [];
    const where: string[] = [`l.sid IN (${sids.join(",")})`];
    const args: (string | number)[] = [];
    if (q.minLevel !== undefined) where.push("l.level >= ?"), args.push(q.minLevel);
    if (q.sinceMs !== undefined) where.push("l.time >= ?"), args.push(q.sinceMs);
    if (q.untilMs !== undefined) where.push("l.time <= ?"), args.push(q.untilMs);
    if (q.afterId !== undefined) where.push("l.id > ?"), args.push(q.afterId);
    // The text index (and the level, as text of its own column) narrows to candidate lines, newest first by
    // arrival; the exact conditions (case-sensitive substring, level, time) are checked on those.
    const match: string[] = [];
    if (q.grep !== undefined && q.grep !== "") {
      const grep = grepSql(q.grep, q.caseSensitive === true, this.trigram);
      if (grep.match !== undefined) match.push(grep.match);
      where.push(grep.where.sql), args.push(grep.where.arg);
    }
    if (q.minLevel !== undefined && q.minLevel > LOG_LEVELS.trace) {
      const terms = levelWordsFrom(q.minLevel).map((name) => this.#levelTerm(name));
      match.push(this.trigram ? `(${terms.map((t) => `"${t}"`).join(" OR ")})` : `lvl : (${terms.join(" OR ")})`);
    }
    let from = "lines l";
    // Without words to match, the time index orders (and bounds) the scan; a grep that the index cannot narrow,
    // over the whole segment, reads the lines in arrival order instead, as the index path does: one pass over the
    // table rather than a lookup per line through the time index.
    let order = q.grep && q.sinceMs === undefined && q.untilMs === undefined ? "l.id DESC" : "l.time DESC, l.id DESC";
    if (match.length > 0) {
      from = "lines_fts f JOIN lines l ON l.id = f.rowid";
      order = "f.rowid DESC";
      where.unshift("lines_fts MATCH ?");
      args.unshift(match.join(" AND "));
    }
    const sql = `SELECT l.id, l.time, l.sid, l.level, l.text FROM ${from} WHERE ${where.join(" AND ")} ORDER BY ${order} LIMIT ?`;
    const rows = this.#db.prepare(sql).all(...args, q.limit);
    return rows.map((r) => ({
      id: Number(r.id),
      time: Number(r.time),
      level: Number(r.level),
      text: String(r.text),
      labels: this.#labels.get(Number(r.sid)) as LogStreamLabels,
    }));
  }

  /** What the `lvl` column holds for a level: its name in a word index, a token of its own in a trigram index. */
  #levelTerm(name: LogLevelName): string {
    return this.trigram ? levelToken(LOG_LEVELS[name]) : name;
  }

  lastId(): number {
    return Number(this.#db.prepare("SELECT coalesce(max(id), 0) AS id FROM lines").get()?.id ?? 0);
  }

  close(): void {
    if (this.#db.isOpen) this.#db.close();
  }

  #loadStreams(): void {
    this.#streamIds.clear();
    this.#labels.clear();
    for (const row of this.#db.prepare("SELECT id, env, app, release, instance, stream FROM streams").all()) {
      const labels: LogStreamLabels = {
        env: String(row.env),
        app: String(row.app),
        release: Number(row.release),
        instance: String(row.instance),
        stream: String(row.stream) as LogSource,
      };
      this.#labels.set(Number(row.id), labels);
      this.#streamIds.set(streamKey(labels), Number(row.id));
    }
  }

  #streamId(labels: LogStreamLabels): number {
    const key = streamKey(labels);
    const known = this.#streamIds.get(key);
    if (known !== undefined) return known;
    const id = Number(
      this.#db
        .prepare("INSERT INTO streams (env, app, release, instance, stream) VALUES (?, ?, ?, ?, ?)")
        .run(labels.env, labels.app, labels.release, labels.instance, labels.stream).lastInsertRowid,
    );
    this.#streamIds.set(key, id);
    this.#labels.set(id, { ...labels });
    return id;
  }
}

function streamKey(l: LogStreamLabels): string {
  return `${l.env}\u0000${l.app}\u0000${l.release}\u0000${l.instance}\u0000${l.stream}`;
}

function matchesLabels(l: LogStreamLabels, q: SegmentQuery): boolean {
  return (
    (q.env === undefined || l.env === q.env) &&
    (q.app === undefined || l.app === q.app) &&
    (q.release === undefined || l.release === q.release) &&
    (q.instance === undefined || l.instance === q.instance)
  );
}

/** Level words (as indexed in the `lvl` column) whose range reaches `minLevel`: error → error OR fatal. */
function levelWordsFrom(minLevel: number): LogLevelName[] {
  return logLevelNames.filter((_name, i) => {
    const next = logLevelNames[i + 1];
    return next === undefined || LOG_LEVELS[next] > minLevel;
  });
}
