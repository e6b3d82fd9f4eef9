import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { LogHub } from "../telemetry/log-hub.ts";
import type { IngestLine } from "../telemetry/log-record.ts";
import type { SegmentQuery, StoredLine } from "../telemetry/log-segment.ts";
import { LogService, type LogSearch } from "./log.service.ts";

/** The index and the hub as the log module wires them: a line is stored, then published to live tails. */
class FakeLogIndex implements LogSearch {
  readonly lines: StoredLine[] = [];
  readonly hub = new LogHub();

  write(time: number, text: string, instance = "i1"): void {
    const line: IngestLine = { labels: { env: "staging", app: "web", release: 1, instance, stream: "out" }, time, level: 30, text };
    this.lines.push({ id: this.lines.length + 1, ...line });
    this.hub.publish([line]);
  }

  query(q: SegmentQuery): StoredLine[] {
    const found = this.lines.filter(
      (l) => l.labels.env === q.env && l.labels.app === q.app && (q.sinceMs === undefined || l.time >= q.sinceMs),
    );
    return found.slice(-q.limit);
  }
}

async function followFor(
  index: FakeLogIndex,
  resumeFrom: string | undefined,
  whileFollowing: () => void,
  grep?: string,
): Promise<{ text: string; id: string }[]> {
  const service = new LogService(index, index.hub, () => {});
  const got: { text: string; id: string }[] = [];
  const stop = new AbortController();
  const done = service.follow("staging", "web", { grep }, (line, id) => got.push({ text: line.text, id }), stop.signal, resumeFrom);
  whileFollowing();
  stop.abort();
  await done;
  return got;
}

describe("LogService.follow: ids to resume from", () => {
  it("numbers lines TIME-COUNT and, resumed from an id, replays exactly the lines after it, then tails", async () => {
    const index = new FakeLogIndex();
    const first = await followFor(index, undefined, () => {
      index.write(100, "a");
      index.write(100, "b");
      index.write(101, "c");
      index.write(101, "d");
    });
    assert.deepEqual(first, [
      { text: "a", id: "100-1" },
      { text: "b", id: "100-2" },
      { text: "c", id: "101-1" },
      { text: "d", id: "101-2" },
    ]);
    // Disconnected after "c"; meanwhile "d" (above), "e" and "f" at the same millisecond and "g" later.
    index.write(101, "e");
    index.write(102, "f");
    const resumed = await followFor(index, "101-1", () => index.write(103, "g"));
    assert.deepEqual(
      resumed.map((l) => l.text),
      ["d", "e", "f", "g"],
    );
    assert.deepEqual(
      resumed.map((l) => l.id),
      ["101-2", "101-3", "102-1", "103-1"],
    );
  });

  it("a late line older than the cursor is sent without moving it; grep applies to the replay as to the tail", async () => {
    const index = new FakeLogIndex();
    index.write(200, "mark 1");
    index.write(200, "noise");
    index.write(201, "mark 2");
    const got = await followFor(index, "200-1", () => index.write(150, "mark late", "i2"), "mark");
    assert.deepEqual(got, [
      { text: "mark 2", id: "201-1" },
      { text: "mark late", id: "201-1" },
    ]);
  });

  it("ignores an id it did not send (a fresh follow)", async () => {
    const index = new FakeLogIndex();
    index.write(300, "old");
    assert.deepEqual(await followFor(index, "not-an-id", () => index.write(301, "new")), [{ text: "new", id: "301-1" }]);
  });
});
