import assert from "node:assert/strict";
import { appendFileSync, mkdirSync, mkdtempSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, it } from "node:test";
import { formatLogLine } from "../runtime/log-file-writer.ts";
import { LogIndexStore } from "./log-index.store.ts";
import { LOG_LEVELS, levelOfLine, messageAndFields } from "./log-record.ts";
import { ftsQuery } from "./log-segment.ts";
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

  it("turns grep text into an FTS5 phrase whose last word may be a prefix", () => {
    assert.equal(ftsQuery("req-12"), '"req 12"*');
    assert.equal(ftsQuery("GET /api "), '"GET api"');
    assert.equal(ftsQuery("->"), null);
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
    assert.deepEqual(index.query({ app: "web", grep: "Unique-7f3", limit: 10 }), [], "grep is case-sensitive");
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
