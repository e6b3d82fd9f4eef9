import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { test } from "node:test";
import { H1Response, type H1Wire } from "./h1-response.ts";

/** A socket that keeps every write (one entry per write call, to check what leaves in one syscall). */
class Recorder extends Writable {
  readonly writes: Buffer[] = [];

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    this.writes.push(chunk);
    done();
  }

  override _writev(chunks: { chunk: Buffer }[], done: (error?: Error | null) => void): void {
    this.writes.push(Buffer.concat(chunks.map((c) => c.chunk)));
    done();
  }

  text(): string {
    return Buffer.concat(this.writes).toString("latin1");
  }
}

interface Harness {
  res: H1Response;
  socket: Recorder;
  /** Resolves when the response's last bytes were written (the connection's lastWritten). */
  done: Promise<void>;
}

function respond(method = "GET", httpMinor: 0 | 1 = 1, keepAlive = true): Harness {
  const socket = new Recorder();
  let written: () => void = () => {};
  const done = new Promise<void>((resolve) => (written = resolve));
  const wire: H1Wire = { socket, dead: false, keepAliveLine: "Keep-Alive: timeout=60\r\n", lastWritten: () => written() };
  return { res: new H1Response(wire, method, httpMinor, keepAlive), socket, done };
}

function parse(text: string): { status: string; headers: Map<string, string[]>; body: string } {
  const end = text.indexOf("\r\n\r\n");
  const [status = "", ...lines] = text.slice(0, end).split("\r\n");
  const headers = new Map<string, string[]>();
  for (const line of lines) {
    const colon = line.indexOf(":");
    const name = line.slice(0, colon).toLowerCase();
    headers.set(name, [...(headers.get(name) ?? []), line.slice(colon + 1).trim()]);
  }
  return { status, headers, body: text.slice(end + 4) };
}

test("a response with Content-Length leaves in one write: head, body, Date and keep-alive", async () => {
  const { res, socket, done } = respond();
  res.writeHead(200, ["content-type", "text/plain", "content-length", "5"]);
  assert.equal(res.headersSent, true);
  assert.equal(res.write(Buffer.from("hello")), true);
  res.end();
  await done;
  assert.equal(socket.writes.length, 1);
  const { status, headers, body } = parse(socket.text());
  assert.equal(status, "HTTP/1.1 200 OK");
  assert.deepEqual(headers.get("content-length"), ["5"]);
  assert.deepEqual(headers.get("connection"), ["keep-alive"]);
  assert.deepEqual(headers.get("keep-alive"), ["timeout=60"]);
  assert.match(headers.get("date")?.[0] ?? "", /^\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} GMT$/);
  assert.equal(headers.has("transfer-encoding"), false);
  assert.equal(body, "hello");
});

test("without Content-Length the body is chunked and ends with the last chunk", async () => {
  const { res, socket, done } = respond();
  res.writeHead(200, { "content-type": "text/plain" });
  res.write(Buffer.from("abc"));
  res.write("défg");
  res.end(Buffer.from("z".repeat(20)));
  await done;
  const { headers, body } = parse(socket.text());
  assert.deepEqual(headers.get("transfer-encoding"), ["chunked"]);
  assert.equal(body, `3\r\nabc\r\n5\r\n${Buffer.from("défg").toString("latin1")}\r\n14\r\n${"z".repeat(20)}\r\n0\r\n\r\n`);
});

test("end(body) before any head sends its Content-Length (as node:http does)", async () => {
  const { res, socket, done } = respond();
  res.statusCode = 404;
  res.setHeader("content-type", "application/json");
  res.end(JSON.stringify({ é: 1 }));
  await done;
  const { status, headers, body } = parse(socket.text());
  assert.equal(status, "HTTP/1.1 404 Not Found");
  assert.deepEqual(headers.get("content-length"), [String(Buffer.byteLength('{"é":1}'))]);
  assert.equal(Buffer.from(body, "latin1").toString("utf8"), '{"é":1}');
});

test("HEAD, 204 and 304 have no body and no chunked framing", async () => {
  for (const [method, status] of [
    ["HEAD", 200],
    ["GET", 204],
    ["GET", 304],
  ] as const) {
    const { res, socket, done } = respond(method);
    res.writeHead(status, ["etag", '"x"']);
    res.write(Buffer.from("ignored"));
    res.end();
    await done;
    const { headers, body } = parse(socket.text());
    assert.equal(headers.has("transfer-encoding"), false, `${method} ${status}`);
    assert.equal(body, "", `${method} ${status}`);
    assert.equal(res.shouldKeepAlive, true);
  }
});

test("HTTP/1.0 without Content-Length: the close delimits the body", async () => {
  const { res, socket, done } = respond("GET", 0, true);
  res.writeHead(200, []);
  res.end(Buffer.from("abc"));
  await done;
  const { headers, body } = parse(socket.text());
  assert.equal(res.shouldKeepAlive, false);
  assert.deepEqual(headers.get("connection"), ["close"]);
  assert.equal(headers.has("transfer-encoding"), false);
  assert.equal(body, "abc");
});

test("shouldKeepAlive false answers Connection: close", async () => {
  const { res, socket, done } = respond();
  res.shouldKeepAlive = false;
  res.end();
  await done;
  assert.deepEqual(parse(socket.text()).headers.get("connection"), ["close"]);
  assert.equal(parse(socket.text()).headers.has("keep-alive"), false);
});

test("writeHead's headers override setHeader's, duplicates of a flat list stay, an upstream Date is kept", async () => {
  const { res, socket, done } = respond();
  res.setHeader("retry-after", "5");
  res.setHeader("x-a", "old");
  res.writeHead(200, ["X-A", "new", "set-cookie", "a=1", "set-cookie", "b=2", "date", "Thu, 01 Jan 2026 00:00:00 GMT"]);
  res.end();
  await done;
  const { headers } = parse(socket.text());
  assert.deepEqual(headers.get("x-a"), ["new"]);
  assert.deepEqual(headers.get("retry-after"), ["5"]);
  assert.deepEqual(headers.get("set-cookie"), ["a=1", "b=2"]);
  assert.deepEqual(headers.get("date"), ["Thu, 01 Jan 2026 00:00:00 GMT"]);
});

test("an invalid status, header name or value is refused before anything is sent", () => {
  const { res, socket } = respond();
  assert.throws(() => res.writeHead(200, ["x-a", "a\r\nInjected: 1"]));
  assert.throws(() => res.writeHead(200, ["x a", "1"]));
  assert.throws(() => res.writeHead(1200, []));
  assert.equal(res.headersSent, false);
  assert.equal(socket.writes.length, 0);
  res.writeHead(502, []);
  assert.equal(res.headersSent, true);
});

test("getHeader reads setHeader's and writeHead's fields (the access log reads the edge's own Content-Length)", () => {
  const { res } = respond();
  res.setHeader("Retry-After", "3");
  res.writeHead(429, { "content-length": 12, "cache-control": "no-store" });
  assert.equal(res.getHeader("retry-after"), "3");
  assert.equal(res.getHeader("Content-Length"), 12);
  assert.equal(res.getHeader("x-missing"), undefined);
});

test("'finish' then 'close' once the connection settles the response", async () => {
  const { res, done } = respond();
  const events: string[] = [];
  res.once("finish", () => events.push("finish"));
  res.on("close", () => events.push("close"));
  res.end("x");
  await done;
  res.settle(true);
  res.settle(false);
  assert.deepEqual(events, ["finish", "close"]);
  assert.equal(res.writableFinished, true);
});

test("writes within one tick leave together; a large body is written without a copy", async () => {
  const { res, socket, done } = respond();
  res.writeHead(200, ["content-length", String(3 + 200_000)]);
  res.write(Buffer.from("abc"));
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(socket.writes.length, 1, "head and first chunk in one write");
  const big = Buffer.alloc(200_000, 120);
  res.write(big);
  res.end();
  await done;
  assert.equal(parse(socket.text()).body.length, 200_003);
});

test("flushHeaders sends the head of an event stream at once", async () => {
  const { res, socket, done } = respond();
  res.writeHead(200, ["content-type", "text/event-stream"]);
  res.flushHeaders();
  await new Promise((resolve) => setImmediate(resolve));
  assert.match(socket.text(), /^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\n$/);
  res.end();
  await done;
  assert.ok(socket.text().endsWith("\r\n\r\n0\r\n\r\n"));
});
