import assert from "node:assert/strict";
import { createServer, type AddressInfo, type Server, type Socket } from "node:net";
import { after, before, test } from "node:test";
import fc from "fast-check";
import { Client } from "undici";
import { ResponseParser } from "./response-parser.ts";

/**
 * The edge's response parser held to llhttp (Node's and undici's parser) on generated HTTP/1.1 responses, valid
 * and malformed: status lines, Content-Length and Transfer-Encoding variants, chunk sizes, header names and values,
 * obs-fold, bare LF and CR. Each response is served by a raw TCP server (then the connection is closed) to undici's
 * request(), and fed to ResponseParser (then end()). Where llhttp refuses a response the edge must refuse it too
 * (the edge must never frame a response an instance could not); where both accept, status and body are the same.
 * The edge is stricter in a few places on purpose (deliberate() below); anything else is a disagreement.
 */

/**
 * undici compares a response's Content-Length header, as a string, with the body llhttp read: `Content-Length: 5 `
 * (trailing whitespace, which RFC 9110 §5.5 has a reader strip) fails that check although llhttp framed the body
 * the same way the edge did. Only that case is set aside: the edge read exactly the length the header says.
 */
function undiciOwnCheck(text: string, edge: Verdict, reason: string): boolean {
  if (!edge.ok || !reason.includes("UND_ERR_RES_CONTENT_LENGTH_MISMATCH")) return false;
  // A 204 or 304 never has a body whatever its Content-Length says (RFC 9112 §6.3 rule 1; a 304's is the length of
  // the representation it stands for): llhttp reads no body, and undici then compares that length with nothing.
  if ((edge.status === 204 || edge.status === 304) && edge.body === "") return true;
  const length = /\r\ncontent-length:[ \t]*(\d+)[ \t]*\r\n/i.exec(text)?.[1];
  return length !== undefined && Number(length) === Buffer.byteLength(edge.body, "latin1");
}

const CONTINUE = "HTTP/1.1 100 Continue\r\n\r\n";
const EARLY_HINTS = "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n";

type Verdict = { ok: true; status: number; body: string } | { ok: false; reason: string };

/** Fed in pieces of `step` bytes: the edge reads responses as they arrive, split anywhere. */
function parseWithEdge(bytes: Buffer, step: number): Verdict {
  let status = 0;
  let body = "";
  let complete = false;
  let error: string | undefined;
  const parser = new ResponseParser({
    head: (s) => void (status = s),
    body: (chunk) => void (body += chunk.toString("latin1")),
    complete: () => void (complete = true),
    error: (message) => void (error ??= message),
  });
  parser.expect(false);
  for (let at = 0; at < bytes.length && error === undefined; at += step) parser.feed(bytes.subarray(at, at + step));
  // The server closes the connection after the response, as it does for undici.
  if (error === undefined && !complete) parser.end();
  if (error !== undefined) return { ok: false, reason: error };
  return complete ? { ok: true, status, body } : { ok: false, reason: "incomplete" };
}

let server: Server | undefined;
let origin = "";
let nextResponse: Buffer = Buffer.alloc(0);
const sockets = new Set<Socket>();

before(async () => {
  server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
    let head = "";
    const onData = (chunk: Buffer): void => {
      head += chunk.toString("latin1");
      if (!head.includes("\r\n\r\n")) return;
      socket.off("data", onData);
      socket.end(nextResponse);
    };
    socket.on("data", onData);
  });
  await new Promise<void>((ok) => server?.listen(0, "127.0.0.1", ok));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise<void>((ok) => server?.close(() => ok()));
});

async function parseWithUndici(bytes: Buffer): Promise<Verdict> {
  nextResponse = bytes;
  // A client per response: nothing carries over from one generated response to the next.
  const client = new Client(origin, { headersTimeout: 5_000, bodyTimeout: 5_000 });
  try {
    const response = await client.request({ path: "/", method: "GET" });
    const body = Buffer.from(await response.body.arrayBuffer()).toString("latin1");
    return { ok: true, status: response.statusCode, body };
  } catch (error) {
    return { ok: false, reason: error instanceof Error ? `${error.message} ${String((error as { code?: unknown }).code)}` : String(error) };
  } finally {
    await client.destroy();
  }
}

// ---- generators: mostly well-formed, with one or two things wrong at a time ----

/** `valid` most of the time, one of `odd` otherwise. */
function mostly(valid: string, odd: readonly string[], weight = 12): fc.Arbitrary<string> {
  return fc.oneof({ weight, arbitrary: fc.constant(valid) }, { weight: 1, arbitrary: fc.constantFrom(...odd) });
}

const EOL = mostly("\r\n", ["\n", "\r"], 30);
const OWS = fc.constantFrom("", " ", " ", " ", "  ", "\t", " \t");

const statusLine = fc
  .record({
    version: mostly("HTTP/1.1", ["HTTP/1.0", "HTTP/1.0", "HTTP/1.2", "HTTP/2.0", "http/1.1", "HTTP/1.10", "HTTP/11", "HTTP/1.1 "]),
    gap: mostly(" ", ["  ", "\t", ""]),
    code: fc.oneof(
      { weight: 12, arbitrary: fc.constantFrom("200", "201", "204", "304", "404", "500", "503", "299", "418") },
      { weight: 1, arbitrary: fc.constantFrom("2000", "20", "099", "abc", "", "1000", "-20", "20 0") },
    ),
    reason: fc.constantFrom(" OK", " OK", " OK", "", " ", " Not Found", " Weird\tReason", " \u0080obs", " A\u0000B", " A\u007fB", " A\rB"),
  })
  .map((s) => `${s.version}${s.gap}${s.code}${s.reason}`);

const oddLength = ["+5", "-1", "0x5", "5 5", " 5 ", "5, 5", "5,6", "99999999999999999999", "", "5\t", "05", "5a", "1"];

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
]);

const headerName = mostly("X-A", ["Content-Type", "X_A", "X A", "X\u0000A", "X\u007fA", "", "X@A", "X{A}", "\u00e9", "X-A "], 6);
const headerValue = mostly("1", ["text/plain", "", "a b", "a\tb", "caf\u00e9", "a\u0000b", "a\u007fb", "a\u0001b", "\u00ff", "a\rb"], 4);

/** Headers besides the framing ones: ordinary ones mostly, duplicates of the framing headers, obs-fold, junk lines. */
const otherHeader = fc.oneof(
  { weight: 8, arbitrary: fc.tuple(headerName, OWS, headerValue, OWS).map(([n, a, v, b]) => `${n}:${a}${v}${b}`) },
  { weight: 1, arbitrary: fc.constantFrom("Connection: close", "Connection: keep-alive", "Keep-Alive: timeout=5") },
  {
    weight: 1,
    arbitrary: fc.constantFrom("Content-Length: 3", "Content-Length: 0", "Transfer-Encoding: chunked", "Transfer-Encoding: gzip"),
  },
  { weight: 1, arbitrary: fc.constantFrom(" folded", "\tfolded", "no colon", ": empty name", "X-A:: 1", "Content-Length : 3") },
);

const chunkSize = (n: number): fc.Arbitrary<string> => {
  const hex = n.toString(16);
  return mostly(hex, [
    hex.toUpperCase(),
    `0${hex}`,
    `${hex};ext=1`,
    `${hex} ;ext`,
    `0x${hex}`,
    `-${n}`,
    `${hex} `,
    ` ${hex}`,
    "zz",
    "",
    "fffffffffffffffffff",
  ]);
};

const chunk = fc
  .string({ maxLength: 12, unit: fc.constantFrom("a", "b", "\r", "\n", "0") })
  .chain((data) => fc.tuple(chunkSize(data.length), fc.constant(data), EOL, mostly("\r\n", ["\n", "", "X", "\r"])));

const chunkedBody = fc
  .record({
    chunks: fc.array(chunk, { maxLength: 3 }),
    last: mostly("0", ["00", "0;ext", "000000", ""]),
    lastEol: EOL,
    trailers: mostly("", ["X-T: 1\r\n", "Content-Length: 5\r\n", "bad trailer\r\n", "X-T: 1\n", "X-T: a\u0001b\r\n"], 4),
    end: mostly("\r\n", ["\n", "", "\r\nEXTRA", "\r"]),
  })
  .map(({ chunks, last, lastEol, trailers, end }) => {
    let text = "";
    for (const [size, data, eol, after] of chunks) text += `${size}${eol}${data}${after}`;
    return `${text}${last}${lastEol}${trailers}${end}`;
  });

const rawBody = fc.string({ maxLength: 20, unit: fc.constantFrom("a", "b", "\r", "\n") });

/** The framing and the body it frames (or should: the length is sometimes wrong, the coding sometimes odd). */
const framed = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .tuple(rawBody, fc.oneof({ weight: 8, arbitrary: fc.constant("exact") }, { weight: 1, arbitrary: fc.constantFrom(...oddLength) }))
      .map(([body, length]) => [`Content-Length: ${length === "exact" ? body.length : length}`, body] as const),
  },
  { weight: 4, arbitrary: fc.tuple(transferEncoding, chunkedBody).map(([te, body]) => [`Transfer-Encoding: ${te}`, body] as const) },
  { weight: 1, arbitrary: rawBody.map((body) => ["", body] as const) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(rawBody, chunkedBody)
      .map(([raw, body]) => [`Content-Length: ${raw.length}\r\nTransfer-Encoding: chunked`, body] as const),
  },
);

const response = fc
  .record({
    informational: fc.oneof({ weight: 8, arbitrary: fc.constant("") }, { weight: 1, arbitrary: fc.constantFrom(CONTINUE, EARLY_HINTS) }),
    status: statusLine,
    statusEol: EOL,
    before: fc.array(fc.tuple(otherHeader, EOL), { maxLength: 2 }),
    framing: framed,
    framingEol: EOL,
    after: fc.array(fc.tuple(otherHeader, EOL), { maxLength: 2 }),
    end: EOL,
  })
  .map((r) => {
    let text = `${r.informational}${r.status}${r.statusEol}`;
    for (const [line, eol] of r.before) text += `${line}${eol}`;
    const [framingHeader, body] = r.framing;
    if (framingHeader !== "") text += `${framingHeader}${r.framingEol}`;
    for (const [line, eol] of r.after) text += `${line}${eol}`;
    return `${text}${r.end}${body}`;
  });

/**
 * Where the edge refuses on purpose what llhttp accepts: safe, since a refused response is a 502 rather than a
 * response framed differently. The edge speaks HTTP/1.x to instances; llhttp takes any single-digit version.
 */
function deliberate(text: string): string | undefined {
  const final = text.replace(/^HTTP\/1\.1 10[03] [^\r]*\r\n(?:Link: <\/a>\r\n)?\r\n/, "");
  if (/^HTTP\/(?!1\.[01][ \t])\d\.\d/.test(final)) return "an HTTP version other than 1.0 or 1.1";
  // llhttp reads `chunked<TAB>` as another coding, where a reader trimming the value reads chunked.
  if (/\r\nTransfer-Encoding ?:[ \t]*[^\r\n\t]+\t/i.test(final)) return "a tab inside a Transfer-Encoding value";
  if (/\r\nTransfer-Encoding ?:[ \t]*\r\n/i.test(final)) return "an empty Transfer-Encoding value";
  return undefined;
}

/**
 * undici refuses a 100 Continue to a request that did not ask for one (its own rule, not llhttp's); RFC 9110 §15.2
 * has a client accept any 1xx, and the edge does. Undici is shown the same response after a 103 instead.
 */
function forUndici(text: string): string {
  return text.startsWith(CONTINUE) ? `${EARLY_HINTS}${text.slice(CONTINUE.length)}` : text;
}

test("the edge's response parser accepts nothing llhttp refuses, and agrees with it on status and body", async (t) => {
  const runs = Number(process.env.RESPONSE_PARSER_RUNS ?? 400);
  // Every run has a seed, printed with any disagreement, so RAMPART_PROPERTY_SEED=N replays it exactly.
  const seed = process.env.RAMPART_PROPERTY_SEED ? Number(process.env.RAMPART_PROPERTY_SEED) : Math.floor(Math.random() * 2 ** 31);
  const disagreements: string[] = [];
  const tally = { bothAccept: 0, bothRefuse: 0, deliberate: 0 };
  await fc.assert(
    fc.asyncProperty(response, fc.constantFrom(1, 2, 3, 7, 64, 1 << 20), async (text, step) => {
      const bytes = Buffer.from(text, "latin1");
      const edge = parseWithEdge(bytes, step);
      const llhttp = await parseWithUndici(Buffer.from(forUndici(text), "latin1"));
      if (edge.ok && !llhttp.ok && !undiciOwnCheck(text, edge, llhttp.reason)) {
        disagreements.push(`edge accepts, llhttp refuses (${llhttp.reason}): ${JSON.stringify(text)}`);
      }
      if (edge.ok && llhttp.ok && (edge.status !== llhttp.status || edge.body !== llhttp.body)) {
        disagreements.push(`different reading ${JSON.stringify(edge)} vs ${JSON.stringify(llhttp)}: ${JSON.stringify(text)}`);
      }
      if (!edge.ok && llhttp.ok) {
        if (deliberate(text) === undefined) disagreements.push(`edge refuses (${edge.reason}), llhttp accepts: ${JSON.stringify(text)}`);
        else tally.deliberate++;
      }
      if (edge.ok && llhttp.ok) tally.bothAccept++;
      if (!edge.ok && !llhttp.ok) tally.bothRefuse++;
      // Every response is checked and every disagreement listed (rather than the first, shrunk).
      return true;
    }),
    { numRuns: runs, endOnFailure: true, seed },
  );
  t.diagnostic(
    `${runs} responses: ${tally.bothAccept} accepted by both, ${tally.bothRefuse} refused by both, ${tally.deliberate} refused by the edge only, on purpose`,
  );
  if (process.env.RESPONSE_PARSER_DUMP !== undefined) for (const d of disagreements) process.stdout.write(`${d}\n`);
  assert.deepEqual(disagreements.slice(0, 30), [], `${disagreements.length} disagreements (replay: RAMPART_PROPERTY_SEED=${seed})`);
});
