import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { LineSplitter, MAX_LINE_CHARS } from "./line-splitter.ts";
import { waitFor } from "./runtime.fixture.ts";

function collect(flushMs = 100): { lines: string[]; splitter: LineSplitter } {
  const lines: string[] = [];
  return { lines, splitter: new LineSplitter((batch) => lines.push(...batch), flushMs) };
}

describe("LineSplitter", () => {
  it("splits on newlines, drops CR of CRLF and joins lines split across chunks", () => {
    const { lines, splitter } = collect();
    splitter.push(Buffer.from("one\r\ntw"));
    splitter.push(Buffer.from("o\n\nthree"));
    assert.deepEqual(lines, ["one", "two", ""]);
    splitter.end();
    assert.deepEqual(lines, ["one", "two", "", "three"]);
  });

  it("keeps a multi-byte character split across chunks intact", () => {
    const { lines, splitter } = collect();
    const bytes = Buffer.from("héllo ✓\n");
    splitter.push(bytes.subarray(0, 2));
    splitter.push(bytes.subarray(2, 8));
    splitter.push(bytes.subarray(8));
    assert.deepEqual(lines, ["héllo ✓"]);
  });

  it("flushes a partial last line after a quiet period", async () => {
    const { lines, splitter } = collect(30);
    splitter.push(Buffer.from("prompt> "));
    assert.deepEqual(lines, []);
    await waitFor("the partial line", () => lines.length === 1, 2000);
    assert.deepEqual(lines, ["prompt> "]);
  });

  it("cuts very long lines at 64 KiB, with or without a newline", () => {
    const { lines, splitter } = collect();
    splitter.push(Buffer.from(`${"a".repeat(MAX_LINE_CHARS + 10)}\n`));
    assert.deepEqual(
      lines.map((l) => l.length),
      [MAX_LINE_CHARS, 10],
    );
    lines.length = 0;
    splitter.push(Buffer.from("b".repeat(MAX_LINE_CHARS * 2 + 5)));
    assert.deepEqual(
      lines.map((l) => l.length),
      [MAX_LINE_CHARS, MAX_LINE_CHARS],
    );
    splitter.end();
    assert.deepEqual(
      lines.map((l) => l.length),
      [MAX_LINE_CHARS, MAX_LINE_CHARS, 5],
    );
  });
});
