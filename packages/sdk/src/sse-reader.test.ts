import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readEvents, type SseEvent } from "./sse-reader.ts";

const encoder = new TextEncoder();

async function* chunks(parts: Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const part of parts) yield part;
}

async function collect(parts: Uint8Array[]): Promise<SseEvent[]> {
  const events: SseEvent[] = [];
  for await (const e of readEvents(chunks(parts))) events.push(e);
  return events;
}

/** Every way of cutting `bytes` in two, and byte by byte. */
function splits(bytes: Uint8Array): Uint8Array[][] {
  const ways: Uint8Array[][] = [[bytes], Array.from(bytes, (b) => Uint8Array.of(b))];
  for (let cut = 1; cut < bytes.length; cut++) ways.push([bytes.slice(0, cut), bytes.slice(cut)]);
  return ways;
}

// One stream written with each line ending; data with a multi-byte character so cuts also fall inside one.
const STREAM = [
  ": connected",
  "",
  "id: 1",
  "event: event",
  'data: {"n":1,"who":"Zoë"}',
  "",
  ": ping",
  "",
  "event: snapshot",
  "data: line one",
  "data:line two",
  "",
  "id: 3",
  "data",
  "",
  "id: bad\u0000id",
  "event: ignored-without-data",
  "",
  "data: after",
  "",
];
const EXPECTED: SseEvent[] = [
  { event: "event", data: '{"n":1,"who":"Zoë"}', id: "1" },
  { event: "snapshot", data: "line one\nline two", id: "1" },
  { event: "message", data: "", id: "3" },
  { event: "message", data: "after", id: "3" },
];

describe("readEvents (the SDK's and the CLI's one SSE reader)", () => {
  for (const [name, eol] of [
    ["LF", "\n"],
    ["CRLF", "\r\n"],
    ["CR", "\r"],
  ] as const) {
    it(`splits a ${name}-delimited stream the same wherever the chunks are cut`, async () => {
      const bytes = encoder.encode(STREAM.join(eol) + eol);
      for (const parts of splits(bytes))
        assert.deepEqual(await collect(parts), EXPECTED, `cut into ${parts.map((p) => p.length).join("+")}`);
    });
  }

  it("reads mixed line endings, a leading BOM, and CR then LF arriving in separate chunks as one line break", async () => {
    const bytes = encoder.encode("\uFEFFdata: a\r\n\ndata: b\r\rdata: c\n\r\n");
    assert.deepEqual(await collect([bytes]), [
      { event: "message", data: "a", id: undefined },
      { event: "message", data: "b", id: undefined },
      { event: "message", data: "c", id: undefined },
    ]);
    assert.deepEqual(await collect([encoder.encode("data: x\r"), encoder.encode("\n"), encoder.encode("\n")]), [
      { event: "message", data: "x", id: undefined },
    ]);
  });

  it("does not dispatch an unterminated last event", async () => {
    assert.deepEqual(await collect([encoder.encode("data: whole\n\ndata: cut off")]), [{ event: "message", data: "whole", id: undefined }]);
  });
});
