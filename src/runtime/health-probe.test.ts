import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { describeProbe, probeHealth } from "./health-probe.ts";
import { allocatePort } from "./port-allocator.ts";

describe("probeHealth", () => {
  let server: Server;
  let port = 0;
  before(async () => {
    server = createServer((req, res) => {
      if (req.url === "/healthz") res.end("ok");
      else if (req.url === "/moved") res.writeHead(302, { location: "/healthz" }).end();
      else if (req.url === "/broken") res.writeHead(503).end("no");
      else if (req.url === "/missing") res.writeHead(404).end("not found");
      // anything else never answers
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as AddressInfo).port;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  it("is ok on 2xx and 3xx", async () => {
    const ok = await probeHealth({ host: "127.0.0.1", port, path: "/healthz", timeoutMs: 2000 });
    assert.equal(ok.ok, true);
    assert.equal(ok.status, 200);
    assert.ok(ok.ms >= 0);
    const moved = await probeHealth({ host: "127.0.0.1", port, path: "/moved", timeoutMs: 2000 });
    assert.deepEqual({ ok: moved.ok, status: moved.status }, { ok: true, status: 302 });
  });

  it("fails on 5xx with the status", async () => {
    const result = await probeHealth({ host: "127.0.0.1", port, path: "/broken", timeoutMs: 2000 });
    assert.deepEqual({ ok: result.ok, status: result.status, error: result.error }, { ok: false, status: 503, error: "HTTP 503" });
  });

  it("times out when no answer comes", async () => {
    const result = await probeHealth({ host: "127.0.0.1", port, path: "/hang", timeoutMs: 150 });
    assert.equal(result.ok, false);
    assert.equal(result.error, "timed out after 150ms");
    assert.ok(result.ms >= 140);
  });

  it("names a refused connection", async () => {
    const closedPort = await allocatePort();
    const result = await probeHealth({ host: "127.0.0.1", port: closedPort, path: "/", timeoutMs: 2000 });
    assert.equal(result.ok, false);
    assert.match(result.error ?? "", /connection refused/);
  });

  it("says what a failing check got: the status, the connection error, or how long it waited", async () => {
    const missing = await probeHealth({ host: "127.0.0.1", port, path: "/missing", timeoutMs: 2000 });
    assert.equal(describeProbe("/missing", 2000, missing), "GET /missing → 404 Not Found");
    const closedPort = await allocatePort();
    const refused = await probeHealth({ host: "127.0.0.1", port: closedPort, path: "/healthz", timeoutMs: 2000 });
    assert.equal(
      describeProbe("/healthz", 2000, refused),
      `GET /healthz → connection refused by 127.0.0.1:${closedPort} (ECONNREFUSED: nothing listens on its PORT yet)`,
    );
    const hung = await probeHealth({ host: "127.0.0.1", port, path: "/hang", timeoutMs: 1000 });
    assert.equal(describeProbe("/hang", 1000, hung), "GET /hang → no answer within 1s");
  });
});

describe("allocatePort", () => {
  it("returns a port that can be bound right away", async () => {
    const port = await allocatePort();
    assert.ok(port > 0 && port < 65536);
    const server = createServer();
    await new Promise<void>((resolve, reject) => server.once("error", reject).listen(port, "127.0.0.1", resolve));
    await new Promise((resolve) => server.close(resolve));
  });
});
