import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import fc from "fast-check";
import { H1RequestParser, type H1ParserLimits, type H1RequestHead } from "./h1-parser.ts";
import { SMUGGLING_CORPUS } from "./smuggling-corpus.ts";

const LIMITS: H1ParserLimits = { maxHeaderBytes: 16 * 1024, maxHeaders: 2000 };

type Event = { head: H1RequestHead } | { body: string } | { end: true };

interface Outcome {
  events: Event[];
  /** The error code execute() or finish() returned, if any. */
  error?: string;
  status?: number;
  /** Bytes left after an upgrade head (the tunnel's). */
  tunnel?: string;
}

/**
 * Feeds `pieces` as a server would: after each stop (a message end) it calls execute again with the rest; after an
 * upgrade head the rest is the tunnel's. Consecutive body pieces are merged, so a split input reads the same.
 */
function run(pieces: readonly Buffer[], limits: H1ParserLimits = LIMITS, end = true): Outcome {
  const events: Event[] = [];
  let upgraded = false;
  const parser = new H1RequestParser(
    {
      onHead: (head) => {
        events.push({ head });
        upgraded = head.upgrade;
      },
      onBody: (chunk) => {
        const last = events.at(-1);
        if (last !== undefined && "body" in last) last.body += chunk.toString("latin1");
        else events.push({ body: chunk.toString("latin1") });
      },
      onMessageEnd: () => void events.push({ end: true }),
    },
    limits,
  );
  let tunnel = "";
  for (let piece of pieces) {
    if (upgraded) {
      tunnel += piece.toString("latin1");
      continue;
    }
    while (piece.length > 0) {
      const result = parser.execute(piece);
      if (typeof result !== "number") return { events, error: result.code, status: result.status };
      if (upgraded) {
        tunnel += piece.subarray(result).toString("latin1");
        break;
      }
      assert.ok(result > 0, "execute consumed nothing outside an upgrade");
      piece = piece.subarray(result);
    }
  }
  const outcome: Outcome = { events };
  if (upgraded) outcome.tunnel = tunnel;
  const finished = end ? parser.finish() : undefined;
  if (finished !== undefined) {
    outcome.error = finished.code;
    outcome.status = finished.status;
  }
  return outcome;
}

function whole(text: string, limits?: H1ParserLimits): Outcome {
  return run([Buffer.from(text, "latin1")], limits);
}

/** The input cut in two at every offset, and fed a byte at a time: each must read exactly as the whole does. */
function assertSplitInvariant(text: string, limits?: H1ParserLimits): void {
  const bytes = Buffer.from(text, "latin1");
  const expected = run([bytes], limits);
  for (let cut = 1; cut < bytes.length; cut++) {
    const split = run([bytes.subarray(0, cut), bytes.subarray(cut)], limits);
    assert.deepEqual(split, expected, `cut at ${cut} of ${JSON.stringify(text)}`);
  }
  const bytewise: Buffer[] = [];
  for (let i = 0; i < bytes.length; i++) bytewise.push(bytes.subarray(i, i + 1));
  assert.deepEqual(run(bytewise, limits), expected, `byte at a time: ${JSON.stringify(text)}`);
}

function heads(outcome: Outcome): H1RequestHead[] {
  return outcome.events.flatMap((e) => ("head" in e ? [e.head] : []));
}

const GET = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";

test("a simple GET: method, target, version, raw headers with OWS trimmed, no body, keep-alive", () => {
  const outcome = whole("GET /a?b=c HTTP/1.1\r\nHost: example.com:8080\r\nUser-Agent:  curl/8 \t\r\nAccept:*/*\r\nX-Empty:\r\n\r\n");
  assert.equal(outcome.error, undefined);
  assert.deepEqual(outcome.events.at(-1), { end: true });
  const [head] = heads(outcome);
  assert.deepEqual(head, {
    method: "GET",
    target: "/a?b=c",
    httpMinor: 1,
    rawHeaders: ["Host", "example.com:8080", "User-Agent", "curl/8", "Accept", "*/*", "X-Empty", ""],
    body: { kind: "none" },
    keepAlive: true,
    upgrade: false,
    expectContinue: false,
  });
});

test("Content-Length and chunked bodies are delivered whole; chunk extensions and trailers are accepted and trailers dropped", () => {
  const length = whole("POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello");
  assert.deepEqual(length.events.slice(1), [{ body: "hello" }, { end: true }]);
  assert.deepEqual(heads(length)[0]?.body, { kind: "length", length: 5 });
  const zero = whole("POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
  assert.deepEqual(zero.events.slice(1), [{ end: true }]);
  const chunked = whole(
    'POST /p HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: Chunked\r\n\r\n5;a=b;c;d="q \\" x"\r\nhello\r\nA\r\n0123456789\r\n000\r\nX-T: 1\r\nY-T: 2\r\n\r\n',
  );
  assert.equal(chunked.error, undefined);
  assert.deepEqual(heads(chunked)[0]?.body, { kind: "chunked" });
  assert.deepEqual(chunked.events.slice(1), [{ body: "hello0123456789" }, { end: true }]);
});

test("pipelined requests: execute stops after each message and the rest parses on the next call", () => {
  const bytes = Buffer.from(`${GET}POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nokGET /c HTTP/1.1\r\nHost: x\r\n\r\n`, "latin1");
  const parser = new H1RequestParser({ onHead: () => {}, onBody: () => {}, onMessageEnd: () => {} }, LIMITS);
  assert.equal(parser.idle, true);
  const first = parser.execute(bytes);
  assert.equal(first, GET.length);
  assert.equal(parser.idle, true);
  const outcome = whole(bytes.toString("latin1"));
  assert.deepEqual(
    heads(outcome).map((h) => h.target),
    ["/", "/b", "/c"],
  );
  assert.equal(outcome.events.filter((e) => "end" in e).length, 3);
  // Empty lines between requests are ignored (RFC 9112 §2.2).
  assert.equal(heads(whole(`${GET}\r\n\r\n${GET}`)).length, 2);
  // idle is false once part of the next request arrived.
  parser.reset();
  assert.equal(parser.execute(Buffer.from("GET / HT")), 8);
  assert.equal(parser.idle, false);
});

test("upgrade: Connection: upgrade with Upgrade, and CONNECT, stop right after the head; the rest is the tunnel's", () => {
  const ws = whole(`GET /ws HTTP/1.1\r\nHost: x\r\nConnection: keep-alive, Upgrade\r\nUpgrade: websocket\r\n\r\n\x81\x00${GET}`);
  assert.equal(heads(ws)[0]?.upgrade, true);
  assert.equal(ws.tunnel, `\x81\x00${GET}`);
  assert.equal(ws.events.length, 1, "no message end for an upgrade");
  const connect = whole(`CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n${GET}`);
  assert.equal(heads(connect)[0]?.upgrade, true);
  assert.equal(connect.tunnel, GET);
  // Upgrade without Connection: upgrade (or the reverse) is an ordinary request.
  assert.equal(heads(whole("GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n\r\n"))[0]?.upgrade, false);
  assert.equal(heads(whole("GET / HTTP/1.1\r\nHost: x\r\nConnection: upgrade\r\n\r\n"))[0]?.upgrade, false);
});

test("keep-alive: HTTP/1.1 unless Connection: close; HTTP/1.0 only with Connection: keep-alive", () => {
  const keepAlive = (text: string): boolean | undefined => heads(whole(text))[0]?.keepAlive;
  assert.equal(keepAlive("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), true);
  assert.equal(keepAlive("GET / HTTP/1.1\r\nHost: x\r\nConnection: Close\r\n\r\n"), false);
  assert.equal(keepAlive("GET / HTTP/1.1\r\nHost: x\r\nConnection: foo, close\r\n\r\n"), false);
  assert.equal(keepAlive("GET / HTTP/1.0\r\n\r\n"), false);
  assert.equal(keepAlive("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n"), true);
  assert.equal(keepAlive("GET / HTTP/1.0\r\nConnection: keep-alive\r\nConnection: close\r\n\r\n"), false);
  assert.equal(heads(whole("GET / HTTP/1.0\r\n\r\n"))[0]?.httpMinor, 0);
});

test("Expect: 100-continue is flagged, case-insensitively, in HTTP/1.1 only; other expectations are not", () => {
  assert.equal(heads(whole("POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\na"))[0]?.expectContinue, false);
  assert.equal(heads(whole("POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-Continue\r\nContent-Length: 1\r\n\r\na"))[0]?.expectContinue, true);
  assert.equal(heads(whole("POST / HTTP/1.1\r\nHost: x\r\nExpect: 200-ok\r\nContent-Length: 1\r\n\r\na"))[0]?.expectContinue, false);
});

test("absolute-form, asterisk-form for OPTIONS, a percent-encoded path and the known methods are accepted", () => {
  assert.equal(heads(whole("GET http://example.com/a?b HTTP/1.1\r\nHost: example.com\r\n\r\n"))[0]?.target, "http://example.com/a?b");
  assert.equal(heads(whole("OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n"))[0]?.target, "*");
  assert.equal(heads(whole("GET /caf%C3%A9 HTTP/1.1\r\nHost: x\r\n\r\n"))[0]?.target, "/caf%C3%A9");
  for (const method of ["DELETE", "PATCH", "QUERY", "M-SEARCH", "PROPFIND"]) {
    assert.equal(heads(whole(`${method} / HTTP/1.1\r\nHost: x\r\n\r\n`))[0]?.method, method);
  }
  assert.equal(heads(whole("GET / HTTP/1.1\r\nHost: [::1]:80\r\n\r\n")).length, 1);
});

const FILLER = `X-Filler: ${"a".repeat(200)}\r\n`;

/** One input per error code (several for some): the code and status each must produce. */
const ERRORS: readonly { code: string; status: number; raw: string; limits?: H1ParserLimits }[] = [
  { code: "invalid_method", status: 400, raw: "G@T / HTTP/1.1\r\nHost: x\r\n\r\n" },
  { code: "invalid_method", status: 400, raw: " GET / HTTP/1.1\r\nHost: x\r\n\r\n" },
  { code: "unknown_method", status: 501, raw: "get / HTTP/1.1\r\nHost: x\r\n\r\n" },
  { code: "unknown_method", status: 501, raw: "BREW / HTTP/1.1\r\nHost: x\r\n\r\n" },
  { code: "invalid_request_line", status: 400, raw: "GET /\r\n\r\n" },
  { code: "invalid_target", status: 400, raw: "GET  / HTTP/1.1\r\nHost: x\r\n\r\n" },
  { code: "invalid_target", status: 400, raw: "GET /a\tb HTTP/1.1\r\nHost: x\r\n\r\n" },
  { code: "invalid_target", status: 400, raw: "GET /caf\xc3\xa9 HTTP/1.1\r\nHost: x\r\n\r\n" },
  { code: "invalid_target", status: 400, raw: "GET * HTTP/1.1\r\nHost: x\r\n\r\n" },
  { code: "invalid_target", status: 400, raw: "GET a/b HTTP/1.1\r\nHost: x\r\n\r\n" },
  { code: "invalid_target", status: 400, raw: "GET http://u@x/ HTTP/1.1\r\nHost: x\r\n\r\n" },
  { code: "invalid_target", status: 400, raw: "CONNECT /x HTTP/1.1\r\nHost: x\r\n\r\n" },
  { code: "invalid_version", status: 400, raw: "GET / HTTP/1.2\r\nHost: x\r\n\r\n" },
  { code: "invalid_version", status: 400, raw: "GET / http/1.1\r\nHost: x\r\n\r\n" },
  { code: "invalid_version", status: 400, raw: "GET / HTTP/1.1 \r\nHost: x\r\n\r\n" },
  { code: "unsupported_version", status: 505, raw: "GET / HTTP/2.0\r\nHost: x\r\n\r\n" },
  { code: "lone_lf", status: 400, raw: "GET / HTTP/1.1\nHost: x\n\n" },
  { code: "lone_lf", status: 400, raw: "GET / HTTP/1.1\r\nHost: x\n\r\n" },
  { code: "lone_cr", status: 400, raw: "GET / HTTP/1.1\rHost: x\r\n\r\n" },
  { code: "lone_cr", status: 400, raw: "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\rb\r\n\r\n" },
  { code: "obs_fold", status: 400, raw: "GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n 2\r\n\r\n" },
  { code: "obs_fold", status: 400, raw: "GET / HTTP/1.1\r\n Host: x\r\n\r\n" },
  { code: "invalid_header_token", status: 400, raw: "GET / HTTP/1.1\r\nHost: x\r\nX A: 1\r\n\r\n" },
  { code: "invalid_header_token", status: 400, raw: "GET / HTTP/1.1\r\nHost : x\r\n\r\n" },
  { code: "invalid_header_token", status: 400, raw: "GET / HTTP/1.1\r\nHost: x\r\n: 1\r\n\r\n" },
  { code: "invalid_header_token", status: 400, raw: "GET / HTTP/1.1\r\nHost: x\r\nno colon\r\n\r\n" },
  { code: "invalid_header_value", status: 400, raw: "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n" },
  { code: "invalid_header_value", status: 400, raw: "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\x7fb\r\n\r\n" },
  {
    code: "too_many_headers",
    status: 431,
    raw: "GET / HTTP/1.1\r\nHost: x\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n",
    limits: { maxHeaderBytes: 1024, maxHeaders: 3 },
  },
  {
    code: "header_too_large",
    status: 431,
    raw: `GET / HTTP/1.1\r\nHost: x\r\n${FILLER}\r\n`,
    limits: { maxHeaderBytes: 200, maxHeaders: 10 },
  },
  {
    code: "header_too_large",
    status: 431,
    raw: `POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n${FILLER}\r\n`,
    limits: { maxHeaderBytes: 200, maxHeaders: 10 },
  },
  {
    code: "uri_too_long",
    status: 414,
    raw: `GET /${"a".repeat(300)} HTTP/1.1\r\nHost: x\r\n\r\n`,
    limits: { maxHeaderBytes: 200, maxHeaders: 10 },
  },
  { code: "duplicate_content_length", status: 400, raw: "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\ncontent-length: 1\r\n\r\na" },
  { code: "invalid_content_length", status: 400, raw: "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1 1\r\n\r\na" },
  { code: "invalid_content_length", status: 400, raw: "POST / HTTP/1.1\r\nHost: x\r\nContent-Length:\r\n\r\na" },
  { code: "invalid_content_length", status: 400, raw: "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1234567890123456\r\n\r\na" },
  {
    code: "duplicate_transfer_encoding",
    status: 400,
    raw: "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
  },
  { code: "invalid_transfer_encoding", status: 400, raw: "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding:\r\n\r\n" },
  { code: "invalid_transfer_encoding", status: 400, raw: "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked;q=1\r\n\r\n" },
  { code: "invalid_transfer_encoding", status: 400, raw: "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked x\r\n\r\n" },
  { code: "chunked_not_last", status: 400, raw: "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip\r\n\r\n" },
  { code: "chunked_not_last", status: 400, raw: "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, chunked\r\n\r\n" },
  { code: "unsupported_transfer_coding", status: 501, raw: "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n" },
  { code: "unsupported_transfer_coding", status: 501, raw: "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: identity\r\n\r\n" },
  { code: "transfer_encoding_http10", status: 400, raw: "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" },
  {
    code: "content_length_and_transfer_encoding",
    status: 400,
    raw: "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
  },
  { code: "missing_host", status: 400, raw: "GET / HTTP/1.1\r\n\r\n" },
  { code: "duplicate_host", status: 400, raw: "GET / HTTP/1.1\r\nHost: x\r\nhost: x\r\n\r\n" },
  { code: "invalid_host", status: 400, raw: "GET / HTTP/1.1\r\nHost: x/y\r\n\r\n" },
  { code: "invalid_host", status: 400, raw: "GET / HTTP/1.1\r\nHost: x:123456\r\n\r\n" },
  { code: "invalid_host", status: 400, raw: "GET / HTTP/1.1\r\nHost: [::1\r\n\r\n" },
  {
    code: "upgrade_with_body",
    status: 400,
    raw: "POST / HTTP/1.1\r\nHost: x\r\nConnection: upgrade\r\nUpgrade: h2c\r\nContent-Length: 2\r\n\r\nhi",
  },
  { code: "upgrade_with_body", status: 400, raw: "CONNECT x:443 HTTP/1.1\r\nHost: x:443\r\nTransfer-Encoding: chunked\r\n\r\n" },
  {
    code: "invalid_chunk_size",
    status: 400,
    raw: "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0x3\r\nabc\r\n0\r\n\r\n",
  },
  {
    code: "invalid_chunk_size",
    status: 400,
    raw: "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n 3\r\nabc\r\n0\r\n\r\n",
  },
  {
    code: "invalid_chunk_size",
    status: 400,
    raw: "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3 \r\nabc\r\n0\r\n\r\n",
  },
  { code: "invalid_chunk_size", status: 400, raw: "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffff\r\n" },
  {
    code: "invalid_chunk_extension",
    status: 400,
    raw: "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3;\r\nabc\r\n0\r\n\r\n",
  },
  {
    code: "invalid_chunk_extension",
    status: 400,
    raw: 'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3;a="b\r\nabc\r\n0\r\n\r\n',
  },
  {
    code: "invalid_chunk_extension",
    status: 400,
    raw: "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3;a=\r\nabc\r\n0\r\n\r\n",
  },
  {
    code: "chunk_extensions_too_large",
    status: 413,
    raw: `POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3;a=${"b".repeat(17 * 1024)}\r\nabc\r\n0\r\n\r\n`,
  },
  {
    code: "invalid_chunk_data",
    status: 400,
    raw: "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcd\r\n0\r\n\r\n",
  },
  { code: "invalid_chunk_data", status: 400, raw: "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\n0\r\n\r\n" },
  {
    code: "framing_in_trailers",
    status: 400,
    raw: "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nContent-Length: 4\r\n\r\n",
  },
  {
    code: "framing_in_trailers",
    status: 400,
    raw: "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nTransfer-Encoding: chunked\r\n\r\n",
  },
  { code: "incomplete_message", status: 400, raw: "GET / HTTP/1.1\r\nHost: x\r\n" },
  { code: "incomplete_message", status: 400, raw: "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nabc" },
  { code: "incomplete_message", status: 400, raw: "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n" },
];

test("every error code: its status, and the same verdict whole, cut at every offset and a byte at a time", () => {
  for (const c of ERRORS) {
    const outcome = whole(c.raw, c.limits);
    assert.equal(outcome.error, c.code, JSON.stringify(c.raw));
    assert.equal(outcome.status, c.status, c.code);
    // The big inputs are cut at every offset too, but not fed a byte at a time (quadratic in the assertion only).
    if (c.raw.length < 2048) assertSplitInvariant(c.raw, c.limits);
  }
  // Every code the parser can return is in the table above (read from its sources, so a new code needs a case).
  const source = ["./h1-parser.ts", "./h1-fields.ts"].map((file) => readFileSync(new URL(file, import.meta.url), "utf8")).join("\n");
  const codes = new Set([...source.matchAll(/(?:fail|badByte)\((?:[a-z]+, ){0,3}"([a-z0-9_]+)"/g)].map((m) => m[1] ?? ""));
  codes.add("lone_cr");
  assert.ok(codes.size > 25, `only ${codes.size} codes found in the source: the pattern above no longer matches it`);
  const covered = new Set(ERRORS.map((c) => c.code));
  assert.deepEqual([...codes].filter((code) => !covered.has(code)).sort(), []);
});

test("valid inputs read the same whole, cut at every offset and a byte at a time", () => {
  const inputs = [
    "GET /a?b=c HTTP/1.1\r\nHost: example.com:8080\r\nUser-Agent:  curl/8 \t\r\nAccept:*/*\r\n\r\n",
    'POST /p HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5;a=b;d="q \\" x"\r\nhello\r\nA\r\n0123456789\r\n0\r\nX-T: 1\r\n\r\n',
    `${GET}\r\nPOST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nok${GET}`,
    `GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n\x81\x00${GET}`,
    "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
  ];
  for (const text of inputs) {
    assert.equal(whole(text).error, undefined, text);
    assertSplitInvariant(text);
  }
});

test("a head of several KiB (fields sliced from more than one string window) reads every field exactly", () => {
  const fields: string[] = [];
  let text = "GET / HTTP/1.1\r\nHost: x\r\n";
  for (let i = 0; i < 40; i++) {
    const value = `${String(i).padStart(3, "0")}${"v".repeat(50 + i * 7)}`;
    fields.push(`X-Field-${i}`, value);
    text += `X-Field-${i}: ${value}\r\n`;
  }
  const outcome = whole(`${text}\r\n`);
  assert.equal(outcome.error, undefined);
  assert.deepEqual(heads(outcome)[0]?.rawHeaders, ["Host", "x", ...fields]);
  assertSplitInvariant(`${text}\r\n`);
});

test("limits: a head exactly at maxHeaderBytes is accepted, one byte more is refused", () => {
  const text = "GET / HTTP/1.1\r\nHost: x\r\nX-A: 12345\r\n\r\n";
  assert.equal(whole(text, { maxHeaderBytes: text.length, maxHeaders: 10 }).error, undefined);
  assert.equal(whole(text, { maxHeaderBytes: text.length - 1, maxHeaders: 10 }).error, "header_too_large");
  assert.equal(whole(text, { maxHeaderBytes: 1024, maxHeaders: 2 }).error, undefined);
  assert.equal(whole(text, { maxHeaderBytes: 1024, maxHeaders: 1 }).error, "too_many_headers");
});

test("an error is final until reset(); reset() makes the parser reusable", () => {
  const parser = new H1RequestParser({ onHead: () => {}, onBody: () => {}, onMessageEnd: () => {} }, LIMITS);
  const first = parser.execute(Buffer.from("G@T / HTTP/1.1\r\n\r\n"));
  assert.equal(typeof first === "number" ? first : first.code, "invalid_method");
  const again = parser.execute(Buffer.from(GET));
  assert.equal(typeof again === "number" ? again : again.code, "invalid_method");
  assert.equal(parser.finish(), undefined);
  parser.reset();
  assert.equal(parser.execute(Buffer.from(GET)), GET.length);
  assert.equal(parser.finish(), undefined);
});

test("the request-side cases of the smuggling corpus get the corpus's verdict from the parser", () => {
  for (const c of SMUGGLING_CORPUS) {
    const outcome = whole(c.raw);
    if (c.expect === "closed") {
      // Tunnels stop the parser (the rest is not parsed as HTTP); the garbage case is refused after its valid request.
      const smuggled = heads(outcome).some((h) => h.target === "/smuggled");
      assert.equal(smuggled, false, c.name);
      assert.ok(outcome.tunnel !== undefined || outcome.error !== undefined, c.name);
    } else {
      assert.equal(outcome.status, c.expect, `${c.name}: ${outcome.error}`);
      assert.equal(
        heads(outcome).some((h) => h.target === "/smuggled"),
        false,
        c.name,
      );
    }
  }
});

test("Host is judged exactly as framingProblem judged it (its pattern, on generated values)", () => {
  // The pattern of src/edge/client-errors.ts, which the edge applied after llhttp until this parser.
  const HOST = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._~!$&'()*+,;=%-]*)(?::[0-9]{0,5})?$/;
  const unit = fc.constantFrom(..."aZ09.-_~!$&'()*+,;=%:[]/@?#\"<> fF".split(""));
  fc.assert(
    fc.property(fc.string({ unit, maxLength: 12 }), (host) => {
      const outcome = whole(`GET / HTTP/1.1\r\nHost: ${host}\r\n\r\n`);
      // Leading/trailing spaces are OWS, not part of the value (node trims them as well).
      const expected = HOST.test(host.trim());
      assert.equal(outcome.error === undefined, expected, JSON.stringify(host));
      if (!expected) assert.equal(outcome.error, "invalid_host", JSON.stringify(host));
    }),
    { numRuns: 3000, seed: 18 },
  );
});
