import { createRequire } from "node:module";
import { H1RequestParser } from "../../src/edge/h1-parser.ts";

/**
 * `npm run bench:edge:parser`: ns per request to parse typical request heads (and a chunked body) with the edge's
 * own parser (src/edge/h1-parser.ts) against llhttp as node:http's server drives it: node's internal HTTPParser
 * binding (from `_http_common`), with the same callbacks node installs (headers-complete with the header strings
 * built in C++, body, message-complete). That is llhttp plus node's C++/JS crossing, not node:http's
 * IncomingMessage and ServerResponse objects, which the edge's own server also avoids.
 *
 * One process, one request per execute() call, a warm-up then ROUNDS timed rounds of N requests; prints the median.
 */

const N = Number(process.env.BENCH_N ?? 300_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);

const CURL = "GET /api/items?page=2 HTTP/1.1\r\nHost: localhost:8080\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n";

const BROWSER =
  "GET /shop/cart?ref=home HTTP/1.1\r\n" +
  "Host: shop.example.com\r\n" +
  "Connection: keep-alive\r\n" +
  'sec-ch-ua: "Chromium";v="131", "Not_A Brand";v="24"\r\n' +
  "sec-ch-ua-mobile: ?0\r\n" +
  "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36\r\n" +
  "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8\r\n" +
  "Sec-Fetch-Site: same-origin\r\n" +
  "Sec-Fetch-Mode: navigate\r\n" +
  "Referer: https://shop.example.com/\r\n" +
  "Accept-Encoding: gzip, deflate, br, zstd\r\n" +
  "Accept-Language: en-GB,en;q=0.9,fr;q=0.8\r\n" +
  "Cookie: session=8f14e45fceea167a5a36dedd4bea2543; cart=3; theme=dark; _ga=GA1.1.1234567890.1700000000; rampart_split=b\r\n" +
  "\r\n";

const CHUNK = "x".repeat(400);
const CHUNKED_POST =
  "POST /api/upload HTTP/1.1\r\nHost: api.example.com\r\nUser-Agent: node\r\nContent-Type: application/json\r\n" +
  `Transfer-Encoding: chunked\r\n\r\n190\r\n${CHUNK}\r\n190\r\n${CHUNK}\r\n190\r\n${CHUNK}\r\n0\r\n\r\n`;

const CASES = [
  { name: "curl-like GET, 3 headers", raw: CURL },
  { name: "browser-like GET, 12 headers with cookies", raw: BROWSER },
  { name: "chunked POST, 5 headers, 3 x 400 B chunks", raw: CHUNKED_POST },
];

/** The part of node's internal HTTPParser binding this bench uses (not public API: checked at load). */
interface NodeHttpParser {
  initialize(type: number, resource: object, maxHeaderSize: number, lenient: number): void;
  execute(data: Buffer): number | Error;
  [key: number]: unknown;
}
interface NodeHttpParserClass {
  new (): NodeHttpParser;
  REQUEST: number;
  kOnHeaders: number;
  kOnHeadersComplete: number;
  kOnBody: number;
  kOnMessageComplete: number;
  kOnExecute: number;
}

function loadNodeParser(): NodeHttpParserClass | undefined {
  try {
    const common = createRequire(import.meta.url)("_http_common") as { HTTPParser?: unknown };
    const parser = common.HTTPParser;
    if (typeof parser !== "function" || typeof (parser as { REQUEST?: unknown }).REQUEST !== "number") return undefined;
    return parser as NodeHttpParserClass;
  } catch {
    return undefined;
  }
}

let sink = 0;

function timeEdge(bytes: Buffer, n: number): number {
  const parser = new H1RequestParser(
    {
      onHead: (head) => void (sink += head.rawHeaders.length),
      onBody: (chunk) => void (sink += chunk.length),
      onMessageEnd: () => void sink++,
    },
    { maxHeaderBytes: 16 * 1024, maxHeaders: 2000 },
  );
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const consumed = parser.execute(bytes);
    if (consumed !== bytes.length) throw new Error(`edge parser stopped at ${String(consumed)} of ${bytes.length}`);
  }
  return Number(process.hrtime.bigint() - start) / n;
}

function timeNode(HTTPParser: NodeHttpParserClass, bytes: Buffer, n: number): number {
  const parser = new HTTPParser();
  parser.initialize(HTTPParser.REQUEST, {}, 16 * 1024, 0);
  parser[HTTPParser.kOnHeaders] = (headers: string[]) => void (sink += headers.length);
  parser[HTTPParser.kOnHeadersComplete] = (_major: number, _minor: number, headers: string[] | undefined) =>
    void (sink += headers?.length ?? 0);
  parser[HTTPParser.kOnBody] = (chunk: Buffer) => void (sink += chunk.length);
  parser[HTTPParser.kOnMessageComplete] = () => void sink++;
  parser[HTTPParser.kOnExecute] = () => {};
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const consumed = parser.execute(bytes);
    if (consumed !== bytes.length) throw new Error(`llhttp stopped at ${String(consumed)} of ${bytes.length}`);
  }
  return Number(process.hrtime.bigint() - start) / n;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

const HTTPParser = loadNodeParser();
if (HTTPParser === undefined) process.stdout.write("node's internal HTTPParser is not reachable: only the edge parser is timed\n");

const rows: string[][] = [["request", "bytes", "edge ns/req", "llhttp ns/req", "edge / llhttp"]];
for (const c of CASES) {
  const bytes = Buffer.from(c.raw, "latin1");
  timeEdge(bytes, Math.min(N, 50_000));
  if (HTTPParser !== undefined) timeNode(HTTPParser, bytes, Math.min(N, 50_000));
  const edge: number[] = [];
  const node: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    edge.push(timeEdge(bytes, N));
    if (HTTPParser !== undefined) node.push(timeNode(HTTPParser, bytes, N));
  }
  const e = median(edge);
  const l = HTTPParser === undefined ? Number.NaN : median(node);
  rows.push([
    c.name,
    String(bytes.length),
    e.toFixed(0),
    Number.isNaN(l) ? "n/a" : l.toFixed(0),
    Number.isNaN(l) ? "n/a" : (e / l).toFixed(2),
  ]);
}

const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length))) ?? [];
for (const [k, row] of rows.entries()) {
  process.stdout.write(`${row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join("  ")}\n`);
  if (k === 0) process.stdout.write(`${widths.map((w) => "-".repeat(w)).join("  ")}\n`);
}
process.stdout.write(
  `(median of ${ROUNDS} rounds of ${N} requests each, node ${process.version}, llhttp ${process.versions.llhttp}; sink ${sink > 0})\n`,
);
