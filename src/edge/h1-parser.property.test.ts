import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { type AddressInfo, connect, type Socket } from "node:net";
import { after, before, test } from "node:test";
import fc from "fast-check";
import { H1RequestParser, type H1ParseError } from "./h1-parser.ts";
import { SMUGGLING_CORPUS } from "./smuggling-corpus.ts";

/**
 * The edge's request parser held to llhttp (node:http's server parser, `insecureHTTPParser: false`) on generated
 * HTTP/1.1 requests, valid and mutated: methods, targets (origin, absolute, asterisk, authority forms), versions,
 * header names and values with bad tokens and control characters, obs-fold, bare LF and CR, space before the
 * colon, Content-Length and Transfer-Encoding combinations and duplicates, chunk sizes with extensions, overflow
 * and junk, trailers, upgrades, CONNECT, and pipelined pairs. Each input is written on its own connection to one
 * node:http server on loopback (then the client half-closes), which records every request it parsed (method, url,
 * rawHeaders, body) or its clientError; the same bytes go through H1RequestParser. Where llhttp refuses a request
 * the edge must refuse it too; where both accept, every message must read the same. The edge is stricter in a few
 * places on purpose: DELIBERATE below lists each, with its reason. Anything else is a disagreement.
 */

const MAX_HEADER_BYTES = 8192;

interface Message {
  method: string;
  url: string;
  rawHeaders: string[];
  body: string;
  upgrade: boolean;
  /** Whether the connection stays open after it (node: the parser's shouldKeepAlive); not compared for upgrades. */
  keepAlive: boolean;
}

/** What one parser made of an input: the messages it read whole, then how it ended. */
interface Reading {
  messages: Message[];
  /** undefined: every byte was read as complete messages (or an upgrade's tunnel). */
  error?: string;
}

/**
 * The edge's parser, fed the bytes as the server will: execute, and again with the rest after each message; in
 * pieces of `step` bytes (as the socket may deliver them) when given.
 */
function readWithEdge(bytes: Buffer, step = bytes.length): Reading {
  const messages: Message[] = [];
  let current: Message | undefined;
  const parser = new H1RequestParser(
    {
      onHead: (head) => {
        current = {
          method: head.method,
          url: head.target,
          rawHeaders: head.rawHeaders,
          body: "",
          upgrade: head.upgrade,
          keepAlive: head.keepAlive,
        };
        if (head.upgrade) messages.push(current);
      },
      onBody: (chunk) => {
        if (current !== undefined) current.body += chunk.toString("latin1");
      },
      onMessageEnd: () => {
        if (current !== undefined) messages.push(current);
      },
    },
    { maxHeaderBytes: MAX_HEADER_BYTES, maxHeaders: 2000 },
  );
  for (let at = 0; at < bytes.length; at += Math.max(step, 1)) {
    let rest = bytes.subarray(at, at + Math.max(step, 1));
    while (rest.length > 0) {
      const result: number | H1ParseError = parser.execute(rest);
      if (typeof result !== "number") return { messages, error: result.code };
      if (messages.at(-1)?.upgrade === true) return { messages };
      rest = rest.subarray(result);
    }
  }
  const finished = parser.finish();
  return finished === undefined ? { messages } : { messages, error: finished.code };
}

// ---- llhttp, through a real node:http server ----

let server: Server | undefined;
let port = 0;
/** The reading of the input on the wire now (one at a time), and the server side of its connection closing. */
let llhttp: Reading = { messages: [] };
let serverSocketClosed: (() => void) | undefined;

function record(req: IncomingMessage, res: ServerResponse | undefined, upgrade: boolean): void {
  // In arrival order: an upgrade is recorded at once, a request when its body has ended (then complete).
  const message: Message = {
    method: req.method ?? "",
    url: req.url ?? "",
    rawHeaders: req.rawHeaders,
    body: "",
    upgrade,
    keepAlive: res?.shouldKeepAlive ?? false,
  };
  arrivals.push(message);
  if (upgrade) {
    complete.add(message);
    req.socket.destroy();
    return;
  }
  req.on("data", (chunk: Buffer) => void (message.body += chunk.toString("latin1")));
  req.on("end", () => {
    complete.add(message);
    res?.end("ok");
  });
  req.on("error", () => {});
}

let arrivals: Message[] = [];
let complete = new Set<Message>();

before(async () => {
  server = createServer({ insecureHTTPParser: false, maxHeaderSize: MAX_HEADER_BYTES, requireHostHeader: false }, (req, res) =>
    record(req, res, false),
  );
  // Expect: 100-continue and other expectations reach the same recording (node would answer 417 to the others).
  server.on("checkContinue", (req: IncomingMessage, res: ServerResponse) => record(req, res, false));
  server.on("checkExpectation", (req: IncomingMessage, res: ServerResponse) => record(req, res, false));
  server.on("upgrade", (req: IncomingMessage) => record(req, undefined, true));
  server.on("connect", (req: IncomingMessage) => record(req, undefined, true));
  server.on("clientError", (error: NodeJS.ErrnoException, socket: Socket) => {
    llhttp.error ??= error.code ?? "clientError";
    socket.destroy();
  });
  server.on("connection", (socket: Socket) => socket.on("close", () => serverSocketClosed?.()));
  await new Promise<void>((ok) => server?.listen(0, "127.0.0.1", ok));
  port = (server.address() as AddressInfo).port;
});

after(async () => {
  server?.closeAllConnections();
  await new Promise<void>((ok) => server?.close(() => ok()));
});

/** Writes the bytes on a fresh connection, half-closes, and waits for the server to close its side. */
async function readWithLlhttp(bytes: Buffer): Promise<Reading> {
  llhttp = { messages: [] };
  arrivals = [];
  complete = new Set();
  const closed = new Promise<void>((ok) => (serverSocketClosed = ok));
  const socket = connect({ port, host: "127.0.0.1" });
  socket.on("error", () => {});
  socket.resume();
  socket.end(bytes);
  let timer: NodeJS.Timeout | undefined;
  const timedOut = await Promise.race([
    closed.then(() => false),
    new Promise<boolean>((ok) => (timer = setTimeout(() => ok(true), 5_000))),
  ]);
  clearTimeout(timer);
  socket.destroy();
  serverSocketClosed = undefined;
  if (timedOut) llhttp.error ??= "timeout";
  // The messages read whole, up to the first one that was not (its body cut by an error or the end).
  const whole = arrivals.findIndex((m) => !complete.has(m));
  llhttp.messages = whole === -1 ? arrivals : arrivals.slice(0, whole);
  if (whole !== -1) llhttp.error ??= "incomplete";
  return llhttp;
}

// ---- generators: mostly well-formed, with one or two things wrong at a time ----

/** `valid` most of the time, one of `odd` otherwise. */
function mostly(valid: string, odd: readonly string[], weight = 12): fc.Arbitrary<string> {
  return fc.oneof({ weight, arbitrary: fc.constant(valid) }, { weight: 1, arbitrary: fc.constantFrom(...odd) });
}

const EOL = mostly("\r\n", ["\n", "\r", "\r\r\n"], 30);
const OWS = fc.constantFrom("", " ", " ", " ", "  ", "\t", " \t");

const method = fc.oneof(
  { weight: 12, arbitrary: fc.constantFrom("GET", "GET", "POST", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH") },
  {
    weight: 1,
    arbitrary: fc.constantFrom("get", "G@T", "BREW", "PRI", "M-SEARCH", "QUERY", "", "GET\t", "CONNECT", "GE T", "\x00GET", "PROPFIND"),
  },
);

const target = fc.oneof(
  { weight: 12, arbitrary: fc.constantFrom("/", "/a?b=c", "/static/app.js", "/caf\xc3\xa9", "/a%20b", "/a/../b", '/q?x="y"&z=<>') },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      "*",
      "http://example.com/x",
      "https://a:1",
      "http://example.com",
      "http://u@x/",
      "http://[::1]:80/a",
      "HTTP://X/",
      "h2c://x/",
      "http:/x",
      "example.com:443",
      "//x",
      "?x",
      "/#frag",
      "/a b",
      "/a\tb",
      "/a\x00",
      "/a\x7f",
      "/a\x0cb",
      "/a\x01",
      "",
      "/a\rb",
    ),
  },
);

const version = mostly("HTTP/1.1", [
  "HTTP/1.0",
  "HTTP/1.0",
  "HTTP/1.2",
  "HTTP/2.0",
  "HTTP/0.9",
  "http/1.1",
  "HTTP/1.1 ",
  "HTTP/11",
  "HTTP/1.10",
  "",
  "HTTP/1.1\t",
]);

const host = mostly("Host: x", [
  "",
  "Host: x\r\nHost: y",
  "Host: x/y",
  "Host: [::1]:8080",
  "Host: a@b",
  "Host:",
  "Host: x:99999999",
  "Host: x:80",
  "host:example.com",
  "Host : x",
]);

const headerName = mostly("X-A", ["Content-Type", "X_A", "X A", "X\x00A", "X\x7fA", "", "X@A", "X{A}", "\xe9", "X-A ", "X\tA"], 6);
const headerValue = mostly(
  "1",
  ["text/plain", "", "a b", "a\tb", "caf\xe9", "a\x00b", "a\x7fb", "a\x01b", "\xff", "a\rb", "a\nb", "a\x0bb"],
  4,
);

/** Headers besides framing: ordinary ones mostly, connection semantics, framing duplicates, obs-fold, junk lines, a huge one. */
const otherHeader = fc.oneof(
  { weight: 8, arbitrary: fc.tuple(headerName, OWS, headerValue, OWS).map(([n, a, v, b]) => `${n}:${a}${v}${b}`) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      "Connection: close",
      "Connection: keep-alive",
      "Connection: Upgrade",
      "Connection: keep-alive, Upgrade",
      "Upgrade: websocket",
      "Upgrade: h2c",
      "Expect: 100-continue",
      "Expect: 100-Continue",
      "Expect: something",
      "Keep-Alive: timeout=5",
    ),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom("Content-Length: 3", "Content-Length: 0", "Transfer-Encoding: chunked", "Transfer-Encoding: gzip"),
  },
  { weight: 1, arbitrary: fc.constantFrom(" folded", "\tfolded", "no colon", ": empty name", "X-A:: 1", "Content-Length : 3", "X-A :1") },
  { weight: 1, arbitrary: fc.constantFrom(`X-Big: ${"b".repeat(3000)}`, `X-Huge: ${"h".repeat(12000)}`) },
);

const oddLength = ["+5", "-1", "0x5", "5 5", " 5 ", "5, 5", "5,6", "99999999999999999999", "", "5\t", "05", "5a", "1", "00"];

const transferEncoding = mostly("chunked", [
  "Chunked",
  "CHUNKED",
  "gzip, chunked",
  "chunked, gzip",
  "identity",
  "xchunked",
  "chunked ",
  "chunked\t",
  "chunked;q=1",
  "",
  "gzip",
  "\tchunked",
  "chunked,",
  ",chunked",
  "chunked, chunked",
  "chunked\x0b",
  " chunked",
  "chunk\x00ed",
]);

const chunkSize = (n: number): fc.Arbitrary<string> => {
  const hex = n.toString(16);
  return mostly(hex, [
    hex.toUpperCase(),
    `0${hex}`,
    `00000000000000000000${hex}`,
    `${hex};ext=1`,
    `${hex};ext`,
    `${hex};a=b;c="d e"`,
    `${hex};a="\\"x"`,
    `${hex} ;ext`,
    `${hex}; ext`,
    `${hex};`,
    `${hex};a=`,
    `${hex};a="b`,
    `0x${hex}`,
    `-${n}`,
    `${hex} `,
    ` ${hex}`,
    "zz",
    "",
    "fffffffffffffffffff",
    "ffffffffffffff",
    `${hex}\x00`,
    `${hex}g`,
  ]);
};

const chunk = fc
  .string({ maxLength: 12, unit: fc.constantFrom("a", "b", "\r", "\n", "0") })
  .chain((data) => fc.tuple(chunkSize(data.length), fc.constant(data), EOL, mostly("\r\n", ["\n", "", "X", "\r", "\r\r\n"])));

const chunkedBody = fc
  .record({
    chunks: fc.array(chunk, { maxLength: 3 }),
    last: mostly("0", ["00", "0;ext", "000000", "", '0;a="b"']),
    lastEol: EOL,
    trailers: mostly(
      "",
      [
        "X-T: 1\r\n",
        "Content-Length: 5\r\n",
        "Transfer-Encoding: chunked\r\n",
        "bad trailer\r\n",
        "X-T: 1\n",
        "X-T: a\x01b\r\n",
        " fold\r\n",
      ],
      4,
    ),
    end: mostly("\r\n", ["\n", "", "\r"]),
  })
  .map(({ chunks, last, lastEol, trailers, end }) => {
    let text = "";
    for (const [size, data, eol, after] of chunks) text += `${size}${eol}${data}${after}`;
    return `${text}${last}${lastEol}${trailers}${end}`;
  });

const rawBody = fc.string({ maxLength: 20, unit: fc.constantFrom("a", "b", "\r", "\n") });

/** The framing header(s) and the body (the length sometimes wrong, the coding sometimes odd, both sometimes). */
const framed = fc.oneof(
  { weight: 4, arbitrary: fc.constant(["", ""] as const) },
  {
    weight: 4,
    arbitrary: fc
      .tuple(rawBody, fc.oneof({ weight: 8, arbitrary: fc.constant("exact") }, { weight: 1, arbitrary: fc.constantFrom(...oddLength) }))
      .map(([body, length]) => [`Content-Length: ${length === "exact" ? body.length : length}`, body] as const),
  },
  { weight: 4, arbitrary: fc.tuple(transferEncoding, chunkedBody).map(([te, body]) => [`Transfer-Encoding: ${te}`, body] as const) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(rawBody, chunkedBody, fc.boolean())
      .map(
        ([raw, body, clFirst]) =>
          [
            clFirst
              ? `Content-Length: ${raw.length}\r\nTransfer-Encoding: chunked`
              : `Transfer-Encoding: chunked\r\nContent-Length: ${raw.length}`,
            body,
          ] as const,
      ),
  },
  { weight: 1, arbitrary: rawBody.map((body) => ["", body] as const) },
);

const request = fc
  .record({
    leading: mostly("", ["\r\n", "\n", " ", "\r\n\r\n"], 20),
    method,
    gap1: mostly(" ", ["  ", "\t", ""], 30),
    target,
    gap2: mostly(" ", ["  ", "\t", ""], 30),
    version,
    lineEol: EOL,
    host,
    hostEol: EOL,
    before: fc.array(fc.tuple(otherHeader, EOL), { maxLength: 2 }),
    framing: framed,
    framingEol: EOL,
    after: fc.array(fc.tuple(otherHeader, EOL), { maxLength: 2 }),
    end: EOL,
  })
  .map((r) => {
    let text = `${r.leading}${r.method}${r.gap1}${r.target}${r.gap2}${r.version}${r.lineEol}`;
    if (r.host !== "") text += `${r.host}${r.hostEol}`;
    for (const [line, eol] of r.before) text += `${line}${eol}`;
    const [framingHeader, body] = r.framing;
    if (framingHeader !== "") text += `${framingHeader}${r.framingEol}`;
    for (const [line, eol] of r.after) text += `${line}${eol}`;
    return `${text}${r.end}${body}`;
  });

const SIMPLE = "GET /second HTTP/1.1\r\nHost: x\r\n\r\n";

/** Well-formed requests of every framing, for single-byte mutations anywhere in them. */
const TEMPLATES = [
  "GET /a/b.js?x=1&y=%20#f HTTP/1.1\r\nHost: example.com:8080\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n",
  'POST /api HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 7\r\n\r\n{"a":1}',
  "PUT /u HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3;e=v\r\nabc\r\n0\r\nX-T: 1\r\n\r\n",
  "GET http://x.example/p HTTP/1.1\r\nHost: x.example\r\nConnection: keep-alive\r\n\r\n",
  "GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n",
  "CONNECT x.example:443 HTTP/1.1\r\nHost: x.example:443\r\n\r\n",
  "OPTIONS * HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
];

/** One byte replaced, inserted or deleted anywhere in a valid request: every byte value in every position. */
const mutated = fc
  .record({
    template: fc.constantFrom(...TEMPLATES),
    at: fc.nat(),
    byte: fc.integer({ min: 0, max: 255 }),
    how: fc.constantFrom("replace", "insert", "delete"),
    second: fc.boolean(),
  })
  .map(({ template, at, byte, how, second }) => {
    const i = at % template.length;
    const c = String.fromCharCode(byte);
    const text =
      how === "replace"
        ? template.slice(0, i) + c + template.slice(i + 1)
        : how === "insert"
          ? template.slice(0, i) + c + template.slice(i)
          : template.slice(0, i) + template.slice(i + 1);
    return second ? `${text}${SIMPLE}` : text;
  });

/** One request, or two pipelined (the second a plain GET or another generated one), or a valid one mutated by a byte. */
const input = fc.oneof(
  { weight: 4, arbitrary: mutated },
  { weight: 6, arbitrary: request },
  { weight: 1, arbitrary: request.map((r) => `${r}${SIMPLE}`) },
  { weight: 1, arbitrary: fc.tuple(request, request).map(([a, b]) => `${a}${b}`) },
);

// ---- the deliberate differences: the edge refuses, llhttp accepts ----

/**
 * Each entry: the edge's error code, the inputs it covers, and why refusing them is right. An input the edge refuses
 * and llhttp reads is a disagreement unless one of these matches it.
 */
const DELIBERATE: readonly { code: string; reason: string; when?: (text: string) => boolean }[] = [
  {
    code: "missing_host",
    reason: "RFC 9112 §3.2: an HTTP/1.1 request without Host MUST get 400 (this test runs node with requireHostHeader: false)",
  },
  { code: "duplicate_host", reason: "RFC 9112 §3.2: more than one Host MUST get 400; framingProblem refused it after llhttp" },
  {
    code: "invalid_host",
    reason: "RFC 9112 §3.2: an invalid Host MUST get 400; routing reads the Host (framingProblem refused it after llhttp)",
  },
  {
    code: "transfer_encoding_http10",
    reason: "RFC 9112 §6.1: an HTTP/1.0 reader cannot know chunked; framingProblem refused it after llhttp",
  },
  {
    code: "unsupported_transfer_coding",
    reason: "RFC 9112 §6.1: 501 for a coding the edge does not decode; framingProblem refused it after llhttp",
  },
  {
    code: "duplicate_transfer_encoding",
    reason: "two Transfer-Encoding fields: servers differ on combining them (the corpus's 'duplicate Transfer-Encoding', a TE.TE desync)",
    when: (text) => /\nTransfer-Encoding:[^\n]*\n(?:[^\r\n][^\n]*\n)*?Transfer-Encoding:/i.test(text),
  },
  {
    code: "invalid_transfer_encoding",
    reason:
      "a bad Transfer-Encoding (a tab in it) that a second Transfer-Encoding field would have replaced for llhttp: two fields, servers differ on combining them (the corpus's 'duplicate Transfer-Encoding', a TE.TE desync)",
    when: (text) => /\nTransfer-Encoding:[^\n]*\n(?:[^\r\n][^\n]*\n)*?Transfer-Encoding:/i.test(text),
  },
  {
    code: "upgrade_with_body",
    reason: "the bytes after an upgrade head are a body to one reader and the new protocol to another (smuggling risk)",
    when: (text) => /\nUpgrade:|^CONNECT |\nCONNECT /i.test(text),
  },
  {
    code: "unsupported_version",
    reason: "HTTP/0.9 and HTTP/2.0 request lines on an HTTP/1 connection: framingProblem refused them after llhttp (RFC 9110 §15.6.6)",
    when: (text) => /HTTP\/(?:0\.9|2\.0)\r?\n/.test(text),
  },
  {
    code: "invalid_request_line",
    reason: "RFC 9112 §3: one SP between the parts and a version; llhttp takes extra spaces and HTTP/0.9 lines, framingProblem refused 0.9",
    when: (text) => / {2}HTTP\/|[^0-9] ?\r?\n|\/[^ \r\n]*HTTP\/1\.[01]\r?\n/.test(text),
  },
  {
    code: "invalid_target",
    reason:
      "RFC 9112 §3.2: a target other than a path is read strictly (asterisk-form for OPTIONS only, authority-form host:port for CONNECT " +
      "only, absolute-form with a valid authority and no userinfo, RFC 9110 §4.2.4); llhttp is laxer there. Paths are not excused.",
    when: (text) =>
      /(?:^|[^A-Z-])(?:CONNECT|[A-Z-]+ (?!\/))/.test(text.replace(/\/second HTTP/g, "")) || /(?:^|[^A-Z-])[A-Z-]+ {2}/.test(text),
  },
  {
    code: "header_too_large",
    reason:
      "the limit counts every byte of the head (request line, names, colons, OWS, CRLFs) where node counts the URL and the " +
      "field names and values only: a head within a few hundred bytes of the limit can be refused here and read by node",
    when: (text) => text.length < MAX_HEADER_BYTES + 1024,
  },
  {
    code: "lone_lf",
    reason:
      "a request line without a version (or with an empty target) ending in a bare LF: llhttp reads it as HTTP/0.9, which framingProblem refused, or reads on past it (RFC 9112 §2.2 allows a bare LF only where a line may end)",
    when: (text) => /(?:^|[^A-Z-])[A-Z-]+ [^ \r\n]*\n/.test(text),
  },
  {
    code: "data_after_close",
    reason: "RFC 9112 §9.3: close wins over keep-alive in one HTTP/1.0 request; llhttp lets keep-alive win and reads on",
    when: (text) => DELIBERATE_CLOSE.test(text),
  },
  {
    code: "unknown_method",
    reason: "PRI is HTTP/2's preface: llhttp reads it as a request only with an HTTP/0.9 line, which framingProblem refused",
    when: (text) => /(?:^|[^A-Z-])PRI /.test(text),
  },
  {
    code: "invalid_chunk_extension",
    reason:
      "RFC 9112 §7.1.1: a chunk extension value is a token or a quoted string; llhttp takes an empty one (extensions are dropped anyway)",
    when: (text) => /\r\n[0-9a-fA-F]+(?:;[^\r\n]*)?;[a-z]+=\r\n/.test(text) || /\r\n[0-9a-fA-F]+(?:;[^\r\n]*)?;[;=]/.test(text),
  },
];

function deliberate(code: string, text: string): string | undefined {
  const entry = DELIBERATE.find((d) => d.code === code && (d.when === undefined || d.when(text)));
  return entry?.reason;
}

/** An HTTP/1.0 request with both Connection: close and keep-alive (see data_after_close in DELIBERATE). */
const DELIBERATE_CLOSE = /HTTP\/1\.0\r\n[\s\S]*close[\s\S]*keep-alive|HTTP\/1\.0\r\n[\s\S]*keep-alive[\s\S]*close/i;

function same(a: Message, b: Message): boolean {
  return (
    a.method === b.method &&
    a.url === b.url &&
    a.body === b.body &&
    a.upgrade === b.upgrade &&
    (a.upgrade || a.keepAlive === b.keepAlive) &&
    a.rawHeaders.length === b.rawHeaders.length &&
    a.rawHeaders.every((v, i) => v === b.rawHeaders[i])
  );
}

test("the edge's request parser accepts nothing llhttp refuses, reads every message llhttp accepts the same, whole or in pieces", async (t) => {
  const runs = Number(process.env.H1_PARSER_RUNS ?? 5000);
  // Every run has a seed, printed with any disagreement, so RAMPART_PROPERTY_SEED=N replays it exactly.
  const seed = process.env.RAMPART_PROPERTY_SEED ? Number(process.env.RAMPART_PROPERTY_SEED) : Math.floor(Math.random() * 2 ** 31);
  const disagreements: string[] = [];
  const tally = { bothAccept: 0, bothRefuse: 0, deliberate: new Map<string, number>() };
  await fc.assert(
    fc.asyncProperty(input, fc.integer({ min: 1, max: 64 }), async (text, step) => {
      const bytes = Buffer.from(text, "latin1");
      const edge = readWithEdge(bytes);
      // Cut into pieces, the same input must read exactly the same (the parser keeps cut lines across calls).
      const pieces = readWithEdge(bytes, step);
      if (JSON.stringify(pieces) !== JSON.stringify(edge)) {
        disagreements.push(
          `in ${step}-byte pieces the edge reads ${JSON.stringify(pieces)}, whole ${JSON.stringify(edge)}: ${JSON.stringify(text)}`,
        );
      }
      const node = await readWithLlhttp(bytes);
      const shown = JSON.stringify(text.length > 400 ? `${text.slice(0, 400)}…` : text);
      // The messages both read must read the same.
      const common = Math.min(edge.messages.length, node.messages.length);
      for (let i = 0; i < common; i++) {
        const [e, n] = [edge.messages[i], node.messages[i]];
        // HTTP/1.0 with both close and keep-alive: close wins here (RFC 9112 §9.3), keep-alive in llhttp.
        const closeWins = e?.keepAlive === false && n?.keepAlive === true && DELIBERATE_CLOSE.test(text);
        if (e !== undefined && n !== undefined && !same(e, n) && !closeWins) {
          disagreements.push(`message ${i} read differently: edge ${JSON.stringify(e)} llhttp ${JSON.stringify(n)}: ${shown}`);
        }
      }
      if (edge.messages.length > node.messages.length) {
        disagreements.push(`edge reads ${edge.messages.length} messages, llhttp ${node.messages.length} (${node.error}): ${shown}`);
      } else if (edge.messages.length < node.messages.length || (edge.error !== undefined && node.error === undefined)) {
        const reason = edge.error === undefined ? undefined : deliberate(edge.error, text);
        if (reason === undefined) disagreements.push(`edge refuses (${edge.error}), llhttp reads it: ${shown}`);
        else tally.deliberate.set(edge.error ?? "", (tally.deliberate.get(edge.error ?? "") ?? 0) + 1);
      } else if (edge.error === undefined && node.error !== undefined) {
        disagreements.push(`edge accepts, llhttp refuses (${node.error}): ${shown}`);
      } else if (edge.error === undefined) tally.bothAccept++;
      else tally.bothRefuse++;
      // Every input is checked and every disagreement listed (rather than the first, shrunk).
      return true;
    }),
    { numRuns: runs, endOnFailure: true, seed },
  );
  const deliberateCounts = [...tally.deliberate].map(([code, n]) => `${code} ${n}`).join(", ");
  t.diagnostic(
    `seed ${seed}, ${runs} inputs: ${tally.bothAccept} read alike by both, ${tally.bothRefuse} refused by both, refused by the edge only on purpose: ${deliberateCounts || "none"}`,
  );
  if (process.env.H1_PARSER_DUMP !== undefined) for (const d of disagreements) process.stdout.write(`${d}\n`);
  assert.deepEqual(disagreements.slice(0, 30), [], `${disagreements.length} disagreements (replay: RAMPART_PROPERTY_SEED=${seed})`);
});

test("the smuggling corpus's request-side cases through llhttp and the edge parser: the edge refuses all llhttp does", async () => {
  for (const c of SMUGGLING_CORPUS) {
    const bytes = Buffer.from(c.raw, "latin1");
    const edge = readWithEdge(bytes);
    const node = await readWithLlhttp(bytes);
    assert.ok(edge.messages.length <= node.messages.length, `${c.name}: the edge read more messages than llhttp`);
    assert.equal(
      edge.messages.some((m) => m.url === "/smuggled" && !m.upgrade),
      false,
      `${c.name}: the smuggled request was read`,
    );
  }
});
