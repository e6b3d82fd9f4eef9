import assert from "node:assert/strict";
import { appendFileSync, mkdtempSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { formatLogLine } from "./log-file-writer.ts";
import { followLogs, readLogLines } from "./log-reader.ts";
import type { LogLine } from "./log-reader.ts";
import { waitFor } from "./runtime.fixture.ts";

const T0 = Date.parse("2026-03-01T12:00:00.000Z");

describe("readLogLines", () => {
  const dir = mkdtempSync(join(tmpdir(), "rampart-logs-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  const a = { path: join(dir, "a.log"), labels: { instance: "a" } };
  const b = { path: join(dir, "b.log"), labels: { instance: "b" } };
  // a: rotated file holds t0, t2; live file t4, t6. b: t1, t3, t5 + one line without a timestamp.
  writeFileSync(`${a.path}.1`, formatLogLine(T0, "out", "a0 GET /") + formatLogLine(T0 + 2, "err", "a2 boom"));
  writeFileSync(a.path, formatLogLine(T0 + 4, "out", "a4 GET /x") + formatLogLine(T0 + 6, "out", ""));
  writeFileSync(b.path, `${[1, 3, 5].map((t) => formatLogLine(T0 + t, "out", `b${t} GET /`)).join("")}stray text\n`);

  const texts = (lines: LogLine[]): string[] => lines.map((l) => l.text);

  it("merges files and their rotations by time, unparsed lines stamped with the file's mtime", () => {
    const lines = readLogLines({ files: [a, b], limit: 100 });
    assert.deepEqual(texts(lines), ["a0 GET /", "b1 GET /", "a2 boom", "b3 GET /", "a4 GET /x", "b5 GET /", "", "stray text"]);
    assert.deepEqual(lines[2], { time: T0 + 2, stream: "err", text: "a2 boom", labels: { instance: "a" } });
    const stray = lines[7];
    assert.deepEqual(
      { stream: stray?.stream, time: stray?.time, labels: stray?.labels },
      { stream: "out", time: statSync(b.path).mtimeMs, labels: b.labels },
    );
  });

  it("keeps the newest `limit` lines, oldest first", () => {
    assert.deepEqual(texts(readLogLines({ files: [a, b], limit: 3, untilMs: T0 + 100 })), ["a4 GET /x", "b5 GET /", ""]);
    assert.deepEqual(readLogLines({ files: [a, b], limit: 0 }), []);
  });

  it("filters by time window and case-sensitive substring", () => {
    assert.deepEqual(texts(readLogLines({ files: [a, b], sinceMs: T0 + 2, untilMs: T0 + 4, limit: 10 })), [
      "a2 boom",
      "b3 GET /",
      "a4 GET /x",
    ]);
    assert.deepEqual(texts(readLogLines({ files: [a, b], grep: "GET /x", limit: 10 })), ["a4 GET /x"]);
    assert.deepEqual(texts(readLogLines({ files: [a, b], grep: "get", limit: 10 })), []);
  });

  it("treats missing files as empty", () => {
    assert.deepEqual(readLogLines({ files: [{ path: join(dir, "nope.log"), labels: {} }], limit: 10 }), []);
  });
});

describe("followLogs", () => {
  const dir = mkdtempSync(join(tmpdir(), "rampart-follow-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("tails new lines across rotation and from files that appear later, until aborted", async (t) => {
    const a = { path: join(dir, "a.log"), labels: { instance: "a" } };
    const late = { path: join(dir, "late.log"), labels: { instance: "late" } };
    writeFileSync(a.path, formatLogLine(T0, "out", "old line, not followed"));
    const seen: LogLine[] = [];
    const controller = new AbortController();
    const following = followLogs([a, late], (line) => seen.push(line), { signal: controller.signal, pollMs: 20 });
    t.after(() => controller.abort());
    // Probe lines may still trickle in after the start handshake; they are not part of the checks.
    const seenTexts = (): string[] => seen.map((l) => l.text).filter((t) => t !== "probe");

    // Give the follower its starting offsets before writing (it tails from the end).
    await waitFor("follower start", async () => {
      appendFileSync(a.path, formatLogLine(Date.now(), "out", "probe"));
      return seen.some((l) => l.text === "probe");
    });

    appendFileSync(a.path, formatLogLine(T0 + 1, "out", "before rotation"));
    // Rotation as the runner does it, with a last line written to the old file just before.
    appendFileSync(a.path, formatLogLine(T0 + 2, "err", "last in old file"));
    renameSync(a.path, `${a.path}.1`);
    writeFileSync(a.path, formatLogLine(T0 + 3, "out", "first in new file"));
    writeFileSync(late.path, formatLogLine(T0 + 4, "out", "late file line"));
    appendFileSync(a.path, "no timestamp here\n");

    await waitFor("all lines", () => seenTexts().length >= 5);
    // Order holds within one instance's file; across files, whichever the poll reads first comes first.
    const ofA = seen.filter((l) => l.labels.instance === "a" && l.text !== "probe").map((l) => l.text);
    assert.deepEqual(ofA.slice(0, 3), ["before rotation", "last in old file", "first in new file"]);
    assert.ok(seenTexts().includes("late file line"));
    assert.ok(seenTexts().includes("no timestamp here"));
    assert.ok(!seenTexts().includes("old line, not followed"));
    assert.deepEqual(seen.find((l) => l.text === "late file line")?.labels, { instance: "late" });
    assert.equal(seen.find((l) => l.text === "last in old file")?.stream, "err");

    controller.abort();
    await following;
    const count = seen.length;
    appendFileSync(a.path, formatLogLine(T0 + 9, "out", "after abort"));
    assert.equal(seen.length, count);
  });
});
