import assert from "node:assert/strict";
import { appendFileSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { afterEach, describe, it } from "node:test";
import { formatLogLine } from "../runtime/log-file-writer.ts";
import { LogIndexStore } from "./log-index.store.ts";
import { LOG_LEVELS, levelOfLine, messageAndFields } from "./log-record.ts";
import { legacyWordQuery } from "./log-grep.ts";
import { LogSegment } from "./log-segment.ts";
import { LogTailer } from "./log-tailer.ts";

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "rampart-logidx-"));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function fixture(clockMs = Date.parse("2026-01-01T00:00:00Z")) {
  const dir = tempDir();
  const now = { ms: clockMs };
  const clock = { now: () => now.ms };
  const logsDir = join(dir, "logs");
  const logFile = join(logsDir, "prod", "web", "prod.web.r3.0.log");
  mkdirSync(join(logsDir, "prod", "web"), { recursive: true });
  const open = () => new LogIndexStore({ dir: join(dir, "index"), clock, segmentMs: 3600_000 });
  return { dir, now, clock, logsDir, logFile, open };
}

describe("log levels and messages", () => {
  it("reads pino, bunyan and winston levels, plain level words, and falls back by stream", () => {
    assert.equal(levelOfLine('{"level":50,"msg":"boom"}', "out"), LOG_LEVELS.error);
    assert.equal(levelOfLine('{"level":"warn","message":"hm"}', "out"), LOG_LEVELS.warn);
    assert.equal(levelOfLine("ERROR: disk", "out"), LOG_LEVELS.error);
    assert.equal(levelOfLine("[debug] x", "err"), LOG_LEVELS.debug);
    assert.equal(levelOfLine("plain", "out"), LOG_LEVELS.info);
    assert.equal(levelOfLine("TypeError: x", "err"), LOG_LEVELS.error);
    assert.equal(levelOfLine("{not json", "out"), LOG_LEVELS.info);
    assert.deepEqual(messageAndFields('{"level":30,"time":1,"msg":"hi","user":"u1","pid":4}'), { message: "hi", fields: { user: "u1" } });
    assert.deepEqual(messageAndFields("plain"), { message: "plain", fields: {} });
  });

  it("reads logfmt lines of Go's slog and logrus: level, message and fields (issue 19 item 16)", () => {
    const slog = 'time=2026-12-05T12:00:00.000Z level=ERROR msg="connection failed" err="dial tcp 10.0.0.5:5432: i/o timeout" attempt=3';
    assert.equal(levelOfLine(slog, "err"), LOG_LEVELS.error);
    assert.deepEqual(messageAndFields(slog), {
      message: "connection failed",
      fields: { err: "dial tcp 10.0.0.5:5432: i/o timeout", attempt: "3" },
    });
    const logrus =
      'time="2015-03-26T01:27:38-04:00" level=warning msg="The group\'s number increased \\"tremendously\\"!" number=122 omg=true';
    assert.equal(levelOfLine(logrus, "out"), LOG_LEVELS.warn);
    assert.deepEqual(messageAndFields(logrus), {
      message: 'The group\'s number increased "tremendously"!',
      fields: { number: "122", omg: "true" },
    });
    assert.equal(levelOfLine("time=2026-12-05T12:00:00Z level=DEBUG msg=starting", "out"), LOG_LEVELS.debug);
    assert.equal(levelOfLine('level=WARN+2 msg="between warn and error"', "out"), LOG_LEVELS.warn);
    assert.equal(levelOfLine("level=info msg=ok", "err"), LOG_LEVELS.info, "the line's own level wins over stderr");
    assert.equal(levelOfLine("lvl=crit msg=down", "out"), LOG_LEVELS.fatal);
    // Not logfmt: prose with an `=`, no level or msg key, a broken quote.
    assert.equal(levelOfLine("x=1 is what the config says", "out"), LOG_LEVELS.info);
    assert.deepEqual(messageAndFields("a=1 b=2"), { message: "a=1 b=2", fields: {} });
    assert.deepEqual(messageAndFields('level=error msg="unterminated'), { message: 'level=error msg="unterminated', fields: {} });
    assert.equal(levelOfLine('level=error msg="unterminated', "out"), LOG_LEVELS.info, "a broken line is plain text");
  });

  it("narrows an old segment's word index only by the words a grep holds whole", () => {
    assert.equal(legacyWordQuery("req-12"), 'text : "12"*', "req may end a longer word");
    assert.equal(legacyWordQuery(" GET /api "), 'text : "GET api"');
    assert.equal(legacyWordQuery("/api/users"), 'text : "api users"*');
    assert.equal(legacyWordQuery("ould"), null);
    assert.equal(legacyWordQuery("->"), null);
  });
});

describe("LogIndexStore and LogTailer", () => {
  it("ingests runner lines with labels and levels, and finds them by text, level, time and labels", () => {
    const f = fixture();
    const t0 = f.now.ms;
    appendFileSync(
      f.logFile,
      formatLogLine(t0, "out", "listening on 8080") +
        formatLogLine(t0 + 1, "err", '{"level":50,"msg":"db down","code":"ECONNREFUSED"}') +
        formatLogLine(t0 + 2, "out", "GET /users 200 unique-7f3a"),
    );
    const index = f.open();
    new LogTailer({ logsDir: f.logsDir, index }).pass();
    const all = index.query({ env: "prod", app: "web", limit: 10 });
    assert.deepEqual(
      all.map((l) => l.text),
      ["listening on 8080", '{"level":50,"msg":"db down","code":"ECONNREFUSED"}', "GET /users 200 unique-7f3a"],
    );
    assert.deepEqual(all[1]?.labels, { env: "prod", app: "web", release: 3, instance: "prod.web.r3.0", stream: "err" });
    assert.deepEqual(
      index.query({ app: "web", grep: "unique-7f3", limit: 10 }).map((l) => l.time),
      [t0 + 2],
    );
    assert.deepEqual(
      index.query({ app: "web", grep: "Unique-7f3", limit: 10 }).map((l) => l.time),
      [t0 + 2],
      "grep ignores case",
    );
    assert.deepEqual(index.query({ app: "web", grep: "Unique-7f3", caseSensitive: true, limit: 10 }), [], "unless asked not to");
    assert.deepEqual(
      index.query({ app: "web", minLevel: LOG_LEVELS.error, limit: 10 }).map((l) => l.level),
      [50],
    );
    assert.deepEqual(index.query({ app: "web", sinceMs: t0 + 1, untilMs: t0 + 1, limit: 10 }).length, 1);
    assert.deepEqual(index.query({ app: "other", limit: 10 }), []);
    assert.deepEqual(index.query({ app: "web", grep: "->", limit: 10 }), []);
    assert.deepEqual(
      index.query({ app: "web", limit: 2 }).map((l) => l.time),
      [t0 + 1, t0 + 2],
      "the newest lines, oldest first",
    );
    index.close();
  });

  it("grep finds any substring, ignoring case unless asked, in new and in pre-trigram segments (issue 19 item 15)", () => {
    const f = fixture();
    const t0 = f.now.ms;
    const labels = { env: "prod", app: "web", release: 1, instance: "i", stream: "out" as const };
    // A segment as the unicode61 word index wrote them, with its lines and an offset.
    mkdirSync(join(f.dir, "index"));
    const old = new DatabaseSync(join(f.dir, "index", `seg-${String(t0 - 1000).padStart(15, "0")}.db`));
    old.exec(`CREATE TABLE streams (id INTEGER PRIMARY KEY, env TEXT NOT NULL, app TEXT NOT NULL, release INTEGER NOT NULL, instance TEXT NOT NULL, stream TEXT NOT NULL, UNIQUE (env, app, release, instance, stream));
      CREATE TABLE lines (id INTEGER PRIMARY KEY, time INTEGER NOT NULL, sid INTEGER NOT NULL, level INTEGER NOT NULL, text TEXT NOT NULL);
      CREATE INDEX lines_time ON lines (time);
      CREATE VIRTUAL TABLE lines_fts USING fts5 (text, lvl, content = '', tokenize = 'unicode61');
      CREATE TABLE offsets (path TEXT PRIMARY KEY, ino INTEGER NOT NULL, offset INTEGER NOT NULL);
      CREATE TABLE bounds (one INTEGER PRIMARY KEY CHECK (one = 1), min_time INTEGER NOT NULL, max_time INTEGER NOT NULL);
      INSERT INTO streams VALUES (1, 'prod', 'web', 1, 'i', 'out');
      INSERT INTO offsets VALUES ('/gone.log', 1, 10);
      INSERT INTO bounds VALUES (1, ${t0 - 1000}, ${t0 - 999});`);
    const oldLines = ["Could not connect to PostgreSQL at db:5432", "GET /api/users/42 200 OrderService.checkout"];
    oldLines.forEach((text, i) => {
      old.prepare("INSERT INTO lines VALUES (?, ?, 1, 30, ?)").run(i + 1, t0 - 1000 + i, text);
      old.prepare("INSERT INTO lines_fts (rowid, text, lvl) VALUES (?, ?, 'info')").run(i + 1, text);
    });
    old.close();

    const index = f.open();
    index.append([
      { labels, time: t0, level: 50, text: '{"level":50,"msg":"PaymentDeclined for order 7f3a: card_expired"}' },
      { labels, time: t0 + 1, level: 30, text: "résumé uploaded by ÉLODIE" },
      { labels, time: t0 + 2, level: 30, text: 'quoted "text" and 100%_done' },
    ]);
    const grep = (text: string, caseSensitive = false) =>
      index.query({ app: "web", grep: text, caseSensitive, limit: 10 }).map((l) => l.text.slice(0, 14));
    assert.deepEqual(grep("ould not conn"), ["Could not conn"], "mid-word, in the old segment");
    assert.deepEqual(grep("postgres"), ["Could not conn"]);
    assert.deepEqual(grep("rService.check"), ["GET /api/users"]);
    assert.deepEqual(grep("ymentdecl"), ['{"level":50,"m'], "mid-word, in the new segment");
    assert.deepEqual(grep("ymentdecl", true), []);
    assert.deepEqual(grep("ymentDecl", true), ['{"level":50,"m']);
    assert.deepEqual(grep("élodie"), ["résumé uploade"], "case folds beyond ASCII");
    assert.deepEqual(grep("7f"), ['{"level":50,"m'], "two characters: too short for the index, scanned");
    assert.deepEqual(grep('"text"'), ['quoted "text" '], "quotes are text");
    assert.deepEqual(grep("%_d"), ['quoted "text" '], "LIKE wildcards are text");
    assert.deepEqual(grep("EXPIRED"), ['{"level":50,"m']);
    assert.deepEqual(index.query({ app: "web", grep: "CARD", minLevel: LOG_LEVELS.error, limit: 10 }).length, 1, "with a level");
    const segments = readdirSync(join(f.dir, "index")).filter((name) => name.endsWith(".db"));
    assert.equal(segments.length, 2, "new lines went to a new segment");
    const newest = new LogSegment(join(f.dir, "index", segments.sort().at(-1) ?? ""), { readOnly: true });
    assert.equal(newest.trigram, true);
    newest.close();
    assert.equal(index.offset("/gone.log"), undefined, "offsets of gone files are not carried over");
    index.close();
  });

  it("neither loses nor repeats lines across a restart, a partial line and a rotation", () => {
    const f = fixture();
    appendFileSync(f.logFile, `${formatLogLine(f.now.ms, "out", "one")}2026-01-01T00:00:00.000Z out tw`);
    let index = f.open();
    new LogTailer({ logsDir: f.logsDir, index }).pass();
    assert.deepEqual(
      index.query({ limit: 10 }).map((l) => l.text),
      ["one"],
      "a partial line waits for its newline",
    );
    index.close();
    // Written while the control plane was down, then the file rotates and a new one starts.
    appendFileSync(f.logFile, `o\n${formatLogLine(f.now.ms, "out", "three")}`);
    renameSync(f.logFile, `${f.logFile}.1`);
    appendFileSync(f.logFile, formatLogLine(f.now.ms, "out", "four"));
    index = f.open();
    const tailer = new LogTailer({ logsDir: f.logsDir, index });
    tailer.pass();
    tailer.pass();
    assert.deepEqual(
      index.query({ limit: 10 }).map((l) => l.text),
      ["one", "two", "three", "four"],
    );
    index.close();
  });

  it("reads a backlog in bounded chunks", () => {
    const f = fixture();
    appendFileSync(f.logFile, Array.from({ length: 1000 }, (_, i) => formatLogLine(f.now.ms, "out", `line ${i}`)).join(""));
    const index = f.open();
    const tailer = new LogTailer({ logsDir: f.logsDir, index, chunkBytes: 4096 });
    let passes = 1;
    while (tailer.pass()) passes++;
    assert.ok(passes > 5);
    assert.equal(index.query({ limit: 5000 }).length, 1000);
    index.close();
  });

  it("drops whole segments by age and by total size, never the one being written", () => {
    const f = fixture();
    const index = new LogIndexStore({
      dir: join(f.dir, "index"),
      clock: f.clock,
      segmentMs: 3600_000,
      maxAgeMs: 2 * 3600_000,
      maxBytes: 1024 ** 3,
    });
    const labels = { env: "prod", app: "web", release: 1, instance: "i", stream: "out" as const };
    for (let hour = 0; hour < 4; hour++) {
      index.append([{ labels, time: f.now.ms, level: 30, text: `hour ${hour}` }]);
      f.now.ms += 3600_000;
    }
    assert.equal(index.query({ limit: 10 }).length, 4);
    assert.deepEqual(index.enforceRetention(), { removed: 2 });
    assert.deepEqual(
      index.query({ limit: 10 }).map((l) => l.text),
      ["hour 2", "hour 3"],
    );
    index.close();
    const small = new LogIndexStore({ dir: join(f.dir, "index"), clock: f.clock, segmentMs: 3600_000, maxBytes: 1 });
    assert.deepEqual(small.enforceRetention(), { removed: 1 });
    assert.deepEqual(
      small.query({ limit: 10 }).map((l) => l.text),
      ["hour 3"],
    );
    small.close();
  });
});

describe("LogTailer under a backlog of several files", () => {
  it("shares each pass's budget without ever splitting a line", () => {
    const f = fixture();
    const other = join(f.logsDir, "prod", "web", "prod.web.r3.1.log");
    for (const file of [f.logFile, other])
      appendFileSync(
        file,
        Array.from({ length: 500 }, (_, i) =>
          formatLogLine(f.now.ms, "err", `{"level":50,"msg":"failure number ${i} of a longer line to cross chunk borders"}`),
        ).join(""),
      );
    const index = f.open();
    const tailer = new LogTailer({ logsDir: f.logsDir, index, chunkBytes: 1000 });
    while (tailer.pass()) {
      // until the backlog is read
    }
    const lines = index.query({ limit: 5000 });
    assert.equal(lines.length, 1000);
    assert.ok(lines.every((l) => l.level === 50 && l.labels.stream === "err" && l.text.startsWith('{"level":50')));
    index.close();
  });
});
