import assert from "node:assert/strict";
import { connect, Server, type AddressInfo, type Socket } from "node:net";
import { after, before, describe, test } from "node:test";
import { headersOf, type H1Request } from "./h1-request.ts";
import type { H1Response } from "./h1-response.ts";
import { H1Server, type H1Limits } from "./h1-server.ts";
import { waitFor } from "../shared/wait.ts";

const LIMITS: H1Limits = { headerTimeoutMs: 400, idleTimeoutMs: 400, requestTimeoutMs: 5_000, maxHeaderBytes: 8 * 1024 };

/** A raw client connection: what it received, and whether the server closed it. */
class RawClient {
  readonly socket: Socket;
  received = "";
  closed = false;

  constructor(port: number) {
    this.socket = connect({ port, host: "127.0.0.1" });
    this.socket.on("data", (chunk: Buffer) => (this.received += chunk.toString("latin1")));
    this.socket.on("close", () => (this.closed = true));
    this.socket.on("error", () => {});
  }

  send(text: string): void {
    this.socket.write(text, "latin1");
  }

  /** Waits for `count` complete status lines (1xx included). */
  async statuses(count: number): Promise<string[]> {
    return waitFor(
      () => {
        const lines = [...this.received.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => m[1] as string);
        return lines.length >= count ? lines : undefined;
      },
      { timeoutMs: 5_000, onTimeout: () => new Error(`expected ${count} answers, got: ${this.received}`) },
    );
  }

  async whenClosed(): Promise<void> {
    await waitFor(() => (this.closed ? true : undefined), {
      timeoutMs: 5_000,
      onTimeout: () => new Error("the server kept the connection open"),
    });
  }
}

describe("the edge's own HTTP/1.x server side", () => {
  let net: Server;
  let h1: H1Server;
  let port = 0;
  /** Requests in the order the handler saw them, with their body as received. */
  const seen: { url: string; body: string | null }[] = [];
  /** Answers held until the test lets them go, by URL. */
  const held = new Map<string, () => void>();
  const upgraded: { url: string; rest: string }[] = [];

  before(async () => {
    h1 = new H1Server(
      {
        request: (req: H1Request, res: H1Response) => {
          const entry = { url: req.url, body: null as string | null };
          seen.push(entry);
          const answer = (): void => {
            const text = `${req.method} ${req.url} ${entry.body ?? "-"}`;
            // No head before end: the length is known, so HTTP/1.0 keep-alive can hold.
            res.setHeader("content-type", "text/plain");
            res.end(text);
          };
          const body = req.body;
          const go = (): void => (req.url.startsWith("/hold") ? void held.set(req.url, answer) : answer());
          if (body === undefined) return go();
          const chunks: Buffer[] = [];
          body.on("data", (c: Buffer) => chunks.push(c));
          body.on("end", () => {
            entry.body = Buffer.concat(chunks).toString("latin1");
            go();
          });
        },
        upgrade: (req, socket, head) => {
          upgraded.push({ url: req.url, rest: head.toString("latin1") });
          socket.end("HTTP/1.1 101 Switching Protocols\r\n\r\n");
        },
      },
      LIMITS,
    );
    net = new Server((socket) => h1.accept(socket));
    await new Promise<void>((resolve) => net.listen(0, "127.0.0.1", resolve));
    port = (net.address() as AddressInfo).port;
  });
  after(async () => {
    h1.closeAllConnections();
    await new Promise((resolve) => net.close(resolve));
  });

  test("keep-alive: several requests on one connection, each with its body or none", async () => {
    const client = new RawClient(port);
    client.send("GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
    await client.statuses(1);
    client.send("POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc");
    await client.statuses(2);
    client.send("POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nde\r\n1\r\nf\r\n0\r\n\r\n");
    await client.statuses(3);
    assert.match(client.received, /GET \/a -/);
    assert.match(client.received, /POST \/b abc/);
    assert.match(client.received, /POST \/c def/);
    assert.equal(client.closed, false);
    client.socket.destroy();
  });

  test("pipelined requests are answered in order, the next one handled only after the previous answer", async () => {
    const client = new RawClient(port);
    const before = seen.length;
    client.send(
      "GET /hold-1 HTTP/1.1\r\nHost: x\r\n\r\nGET /two HTTP/1.1\r\nHost: x\r\n\r\nGET /three HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    await waitFor(() => held.get("/hold-1"), { timeoutMs: 5_000 });
    assert.deepEqual(
      seen.slice(before).map((s) => s.url),
      ["/hold-1"],
    );
    held.get("/hold-1")?.();
    await client.statuses(3);
    await client.whenClosed();
    const order = [...client.received.matchAll(/GET (\/\S+)/g)].map((m) => m[1]);
    assert.deepEqual(order, ["/hold-1", "/two", "/three"]);
  });

  test("HTTP/1.0 closes after its answer unless it asked for keep-alive", async () => {
    const plain = new RawClient(port);
    plain.send("GET /old HTTP/1.0\r\n\r\n");
    await plain.whenClosed();
    assert.match(plain.received, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(plain.received, /\r\nConnection: close\r\n/i);
    const kept = new RawClient(port);
    kept.send("GET /old HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    await kept.statuses(1);
    assert.match(kept.received, /\r\nConnection: keep-alive\r\n/i);
    assert.equal(kept.closed, false);
    kept.socket.destroy();
  });

  test("Expect: 100-continue gets its interim answer before the body is sent", async () => {
    const client = new RawClient(port);
    client.send("POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n");
    assert.deepEqual(await client.statuses(1), ["100"]);
    client.send("data");
    assert.deepEqual(await client.statuses(2), ["100", "200"]);
    assert.match(client.received, /POST \/up data/);
    client.socket.destroy();
  });

  test("a malformed request after a valid one: the valid one is answered, then 400, then the close", async () => {
    const client = new RawClient(port);
    client.send("GET /fine HTTP/1.1\r\nHost: x\r\n\r\nG@T / HTTP/1.1\r\n\r\n");
    await client.whenClosed();
    assert.deepEqual(await client.statuses(2), ["200", "400"]);
  });

  test("slow headers are answered 408 and closed; an idle keep-alive connection is closed", async () => {
    const slow = new RawClient(port);
    slow.send("GET / HTTP/1.1\r\nHost: x\r\n");
    await slow.whenClosed();
    assert.match(slow.received, /^HTTP\/1\.1 408 /);
    const idle = new RawClient(port);
    idle.send("GET /idle HTTP/1.1\r\nHost: x\r\n\r\n");
    await idle.statuses(1);
    await idle.whenClosed();
  });

  test("headers over maxHeaderBytes are answered 431", async () => {
    const client = new RawClient(port);
    client.send(`GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${"b".repeat(9 * 1024)}\r\n\r\n`);
    await client.whenClosed();
    assert.match(client.received, /^HTTP\/1\.1 431 /);
  });

  test("a WebSocket upgrade is handed over with the bytes after its head", async () => {
    const client = new RawClient(port);
    client.send("GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\nFRAME");
    await client.whenClosed();
    assert.match(client.received, /^HTTP\/1\.1 101 /);
    assert.deepEqual(upgraded.at(-1), { url: "/ws", rest: "FRAME" });
  });

  test("closing idle connections leaves a busy one to finish its answer", async () => {
    const idle = new RawClient(port);
    await waitFor(() => (idle.socket.readyState === "open" ? true : undefined), { timeoutMs: 5_000 });
    const busy = new RawClient(port);
    busy.send("GET /hold-2 HTTP/1.1\r\nHost: x\r\n\r\n");
    await waitFor(() => held.get("/hold-2"), { timeoutMs: 5_000 });
    h1.closeIdleConnections();
    await idle.whenClosed();
    assert.equal(busy.closed, false);
    held.get("/hold-2")?.();
    await busy.statuses(1);
    busy.socket.destroy();
  });
});

test("headers read as node:http's: lower-case, first Host kept, cookies joined with ;, set-cookie listed", () => {
  const headers = headersOf([
    "Host",
    "a",
    "host",
    "b",
    "Cookie",
    "x=1",
    "cookie",
    "y=2",
    "Accept",
    "a",
    "accept",
    "b",
    "Set-Cookie",
    "s=1",
  ]);
  assert.deepEqual(headers, { host: "a", cookie: "x=1; y=2", accept: "a, b", "set-cookie": ["s=1"] });
});
