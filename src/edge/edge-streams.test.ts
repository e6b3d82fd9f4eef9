import assert from "node:assert/strict";
import { createServer, request, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { WebSocket, WebSocketServer } from "ws";
import type { EdgeApp } from "./routing-table.types.ts";
import { app, environment, route, edgeRig } from "./edge-test-harness.ts";
import { stopGracefully } from "./edge-stream-harness.ts";
import { waitFor } from "../shared/wait.ts";

/** `promise`, or a rejection naming the deadline: a stream that never ends must fail the test, not hang it. */
function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, fail) => (timer = setTimeout(() => fail(new Error(`not within ${ms} ms`)), ms)));
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

/** An instance serving WebSocket echo on /ws and an endless SSE stream on /events. */
interface StreamInstance {
  readonly name: string;
  readonly port: number;
  /** Upgrade request headers as the instance saw them. */
  readonly upgrades: IncomingHttpHeaders[];
  /** Close codes the instance's sockets received. */
  readonly closes: number[];
  close(): Promise<void>;
}

async function startStreamInstance(name: string): Promise<StreamInstance> {
  const server: Server = createServer((req, res) => {
    if (req.url !== "/events") return void res.end(name);
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
    res.write(`data: hello from ${name}\n\n`);
    // The stream never ends on its own: only a drain ends it.
  });
  const wss = new WebSocketServer({ server });
  const instance: StreamInstance = {
    name,
    port: 0,
    upgrades: [],
    closes: [],
    close: async () => {
      for (const client of wss.clients) client.terminate();
      server.closeAllConnections();
      await new Promise<void>((ok) => server.close(() => ok()));
    },
  };
  wss.on("connection", (socket, req) => {
    instance.upgrades.push(req.headers);
    socket.on("message", (data, binary) => socket.send(binary ? data : `${name}: ${String(data)}`));
    socket.on("close", (code) => instance.closes.push(code));
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  return Object.assign(instance, { port: (server.address() as AddressInfo).port });
}

function openSocket(
  port: number,
  path = "/ws",
  headers: Record<string, string> = {},
): Promise<{ ws: WebSocket; messages: string[]; closed: Promise<{ code: number; reason: string }> }> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`, { headers });
  const messages: string[] = [];
  ws.on("message", (data) => messages.push(String(data)));
  const closed = new Promise<{ code: number; reason: string }>((ok) =>
    ws.on("close", (code, reason) => ok({ code, reason: String(reason) })),
  );
  return new Promise((ok, fail) => {
    ws.once("open", () => ok({ ws, messages, closed }));
    ws.once("error", fail);
  });
}

/** An EventSource-style reader: events as they arrive, and how the response ended (clean end or error). */
function readEvents(port: number, path = "/events"): Promise<{ status: number; events: string[]; ended: Promise<"end" | "error"> }> {
  return new Promise((ok, fail) => {
    const req = request({ host: "127.0.0.1", port, path, headers: { accept: "text/event-stream" }, agent: false }, (res) => {
      const events: string[] = [];
      let buffer = "";
      res.setEncoding("utf8");
      res.on("data", (text: string) => {
        buffer += text;
        let end: number;
        while ((end = buffer.indexOf("\n\n")) !== -1) {
          events.push(buffer.slice(0, end).replace(/^data: /, ""));
          buffer = buffer.slice(end + 2);
        }
      });
      const ended = new Promise<"end" | "error">((done) => {
        res.on("end", () => done("end"));
        res.on("error", () => done("error"));
        res.on("aborted", () => done("error"));
      });
      ok({ status: res.statusCode ?? 0, events, ended });
    });
    req.on("error", fail);
    req.end();
  });
}

describe("edge streams: WebSocket and SSE, drained cleanly", () => {
  const instances: StreamInstance[] = [];

  // Registered before the rig: node:test runs `after` hooks in that order, so the instances close before the edge stops.
  before(async () => {
    instances.push(await startStreamInstance("a"), await startStreamInstance("b"));
  });
  after(async () => {
    await Promise.all(instances.map((i) => i.close()));
  });
  const rig = edgeRig({ stop: stopGracefully });

  async function serve(instance: StreamInstance, drainMs = 1_500): Promise<void> {
    const web: EdgeApp = {
      ...app("web", [{ release: 1, weight: 1, instances: [{ id: instance.name, host: "127.0.0.1", port: instance.port }] }]),
      drainMs,
    };
    await rig.pushTable([environment("test", rig.port, [route("web", "/")], [web])]);
  }

  test("proxies a WebSocket both ways with the edge's forwarding headers, counted in flight", async () => {
    const [a] = instances;
    assert.ok(a !== undefined);
    await serve(a);
    const { ws, messages, closed } = await openSocket(rig.port);
    ws.send("ping");
    await waitFor(() => (messages.includes("a: ping") ? true : undefined), { timeoutMs: 5_000 });
    const seen = a.upgrades.at(-1);
    assert.equal(seen?.["x-forwarded-for"], "127.0.0.1");
    assert.equal(seen?.["x-forwarded-proto"], "http");
    assert.match(String(seen?.["x-request-id"]), /^[0-9a-f-]{36}$/);
    const big = Buffer.alloc(256 * 1024, 9);
    ws.send(big);
    await waitFor(() => (messages.length >= 2 ? true : undefined), { timeoutMs: 5_000 });
    assert.equal(messages[1]?.length, big.length);
    // The open socket keeps the instance busy in the edge's in-flight counts (what the control plane drains on).
    const stats = await rig.edge.client.stats();
    assert.equal(stats.inflight.a, 1);
    ws.close(1000, "done");
    assert.equal((await closed).code, 1000);
    await waitFor(async () => ((await rig.edge.client.stats()).inflight.a === 0 ? true : undefined), { timeoutMs: 5_000 });
  });

  test("a WebSocket follows X-Rampart-Release and the sticky split like a request", async () => {
    const [a, b] = instances;
    assert.ok(a !== undefined && b !== undefined);
    const web: EdgeApp = {
      ...app("web", [
        { release: 1, weight: 50, instances: [{ id: a.name, host: "127.0.0.1", port: a.port }] },
        { release: 2, weight: 50, instances: [{ id: b.name, host: "127.0.0.1", port: b.port }] },
      ]),
      split: true,
      sticky: { kind: "header", name: "x-user" },
    };
    await rig.pushTable([environment("test", rig.port, [route("web", "/")], [web])]);
    const echo = async (headers: Record<string, string>): Promise<string> => {
      const { ws, messages, closed } = await openSocket(rig.port, "/ws", headers);
      ws.send("who");
      const reply = await waitFor(() => messages[0], { timeoutMs: 5_000 });
      ws.close(1000);
      await closed;
      return reply.split(":")[0] ?? "";
    };
    assert.equal(await echo({ "x-rampart-release": "2" }), "b");
    assert.equal(await echo({ "x-rampart-release": "1" }), "a");
    for (const user of ["u1", "u2", "u3", "u4"]) {
      const first = await echo({ "x-user": user });
      assert.equal(await echo({ "x-user": user }), first, `${user} stays on one side`);
    }
  });

  test("an instance that leaves the table: its WebSocket gets 1001 going away before the drain ends, and the instance a close too", async () => {
    const [a, b] = instances;
    assert.ok(a !== undefined && b !== undefined);
    await serve(a);
    const { ws, messages, closed } = await openSocket(rig.port);
    ws.send("before");
    await waitFor(() => (messages.includes("a: before") ? true : undefined), { timeoutMs: 5_000 });
    const closesBefore = a.closes.length;
    await serve(b, 1_500);
    const result = await within(closed, 10_000);
    assert.equal(result.code, 1001);
    assert.equal(result.reason, "going away");
    await waitFor(() => (a.closes.length > closesBefore ? true : undefined), { timeoutMs: 5_000 });
    assert.equal(a.closes.at(-1), 1001);
    // The client reconnects through the edge: to the instance now in the table.
    const again = await openSocket(rig.port);
    again.ws.send("after");
    await waitFor(() => (again.messages.includes("b: after") ? true : undefined), { timeoutMs: 5_000 });
    again.ws.close();
    await again.closed;
  });

  test("SSE events arrive as sent (no buffering); a drain ends the response cleanly so EventSource reconnects", async () => {
    const [a, b] = instances;
    assert.ok(a !== undefined && b !== undefined);
    await serve(a);
    const stream = await readEvents(rig.port);
    assert.equal(stream.status, 200);
    // The instance never ends its response: the first event can only arrive if the edge forwards per chunk.
    await waitFor(() => (stream.events.includes("hello from a") ? true : undefined), { timeoutMs: 5_000 });
    await serve(b, 1_500);
    assert.equal(await within(stream.ended, 10_000), "end");
    const next = await readEvents(rig.port);
    await waitFor(() => (next.events.includes("hello from b") ? true : undefined), { timeoutMs: 5_000 });
  });

  test("edge shutdown closes WebSockets with 1001 and ends SSE cleanly instead of cutting them", async () => {
    const [, b] = instances;
    assert.ok(b !== undefined);
    await serve(b);
    const { closed } = await openSocket(rig.port);
    const stream = await readEvents(rig.port);
    await waitFor(() => (stream.events.includes("hello from b") ? true : undefined), { timeoutMs: 5_000 });
    rig.edge.child.kill("SIGTERM");
    const result = await within(closed, 10_000);
    assert.equal(result.code, 1001);
    assert.equal(await within(stream.ended, 10_000), "end");
    await rig.edge.exited;
  });
});
