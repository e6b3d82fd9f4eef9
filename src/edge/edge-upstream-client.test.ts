import assert from "node:assert/strict";
import { request } from "node:http";
import { connect as connectNet, createServer as createNetServer, type AddressInfo, type Socket } from "node:net";
import { after, describe, test } from "node:test";
import { app, environment, httpRequest, release, route, type startUpstream, type Upstream, edgeRig } from "./edge-test-harness.ts";
import { waitFor } from "../shared/wait.ts";

/** The edge's own upstream client (bodyless requests): streaming, backpressure, stale keep-alive, aborts. */
describe("edge upstream client", () => {
  const rig = edgeRig();

  async function serve(name: string, handler: Parameters<typeof startUpstream>[1]): Promise<Upstream> {
    const u = await rig.upstream(name, handler);
    await rig.pushTable([environment("t", rig.port, [route(name, "/")], [app(name, [release(1, 1, [u])])])]);
    return u;
  }

  test("streams a chunked response as it comes, without buffering it", async () => {
    let finish: (() => void) | undefined;
    await serve("sse", (_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write("data: first\n\n");
      finish = () => res.end("data: last\n\n");
    });
    const text = await new Promise<string>((ok, fail) => {
      const req = request({ host: "127.0.0.1", port: rig.port, path: "/", agent: false }, (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          body += chunk;
          // The first event arrives while the upstream still holds the end of its response.
          if (finish !== undefined) {
            finish();
            finish = undefined;
          }
        });
        res.on("end", () => ok(body));
      });
      req.on("error", fail);
      req.end();
    });
    assert.equal(text, "data: first\n\ndata: last\n\n");
  });

  test("a large body arrives whole through a slow reader (backpressure)", async () => {
    const size = 8 * 1024 * 1024;
    await serve("big", (_req, res) => {
      res.writeHead(200, { "content-type": "application/octet-stream", "content-length": size });
      res.end(Buffer.alloc(size, 7));
    });
    const received = await new Promise<number>((ok, fail) => {
      const req = request({ host: "127.0.0.1", port: rig.port, path: "/", agent: false }, (res) => {
        let bytes = 0;
        res.on("data", (chunk: Buffer) => {
          bytes += chunk.length;
          // Reading slowly makes the edge's writes to this client back up.
          res.pause();
          setTimeout(() => res.resume(), 1);
        });
        res.on("end", () => ok(bytes));
      });
      req.on("error", fail);
      req.end();
    });
    assert.equal(received, size);
  });

  test("a kept-alive connection found closed on reuse: a safe request goes again on a new one, others fail", async () => {
    // A bare upstream that answers the first request of each connection and drops the connection on
    // the second without a word: what an upstream closing an idle connection looks like to a reuser.
    let answered = 0;
    let dropped = 0;
    const sockets = new Set<Socket>();
    const raw = createNetServer((socket) => {
      sockets.add(socket);
      let requests = 0;
      socket.on("error", () => {});
      socket.on("data", () => {
        if (++requests > 1) {
          dropped++;
          return void socket.destroy();
        }
        answered++;
        socket.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
      });
    });
    await new Promise<void>((ok) => raw.listen(0, "127.0.0.1", ok));
    after(() => {
      // The edge keeps its idle connections open for a few seconds; the test does not wait for that.
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((ok) => raw.close(() => ok()));
    });
    const rawPort = (raw.address() as AddressInfo).port;
    await rig.putTable([
      environment(
        "t",
        rig.port,
        [route("raw", "/")],
        [app("raw", [{ release: 1, weight: 1, instances: [{ id: "raw-1", host: "127.0.0.1", port: rawPort }] }])],
      ),
    ]);
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) statuses.push((await httpRequest(rig.port, "/")).status);
    assert.deepEqual(statuses, Array(10).fill(200));
    assert.ok(dropped >= 1, "no connection was reused");
    assert.equal(answered, 10);
    // A DELETE may have been processed before the connection died: it is not sent twice.
    let deleteStatus = 0;
    for (let i = 0; i < 10 && deleteStatus !== 502; i++) deleteStatus = (await httpRequest(rig.port, "/", { method: "DELETE" })).status;
    assert.equal(deleteStatus, 502);
  });

  test("an HTTP/1.0 request without Host reaches the upstream with one (HTTP/1.1 requires it)", async () => {
    let seenHost: string | undefined;
    const u = await serve("h10", (req, res) => {
      seenHost = req.headers.host;
      res.end("ok");
    });
    const reply = await new Promise<string>((ok, fail) => {
      const socket = connectNet(rig.port, "127.0.0.1", () => socket.write("GET /x HTTP/1.0\r\n\r\n"));
      let text = "";
      socket.on("data", (chunk: Buffer) => (text += chunk.toString("latin1")));
      socket.on("end", () => ok(text));
      socket.on("error", fail);
    });
    assert.match(reply, /^HTTP\/1\.1 200 /);
    assert.equal(seenHost, `127.0.0.1:${u.port}`);
  });

  test("a client that leaves mid-response frees the instance's in-flight count", async () => {
    const client = rig.edge.client;
    const u = await serve("held", () => {});
    const req = request({ host: "127.0.0.1", port: rig.port, path: "/", agent: false });
    req.on("error", () => {});
    req.end();
    await waitFor(() => (u.count === 1 ? true : undefined), { timeoutMs: 5_000, intervalMs: 5 });
    assert.equal((await client.stats()).inflight.held, 1);
    req.destroy();
    await waitFor(async () => ((await client.stats()).inflight.held === 0 ? true : undefined), { timeoutMs: 5_000 });
  });
});
