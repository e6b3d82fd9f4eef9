import assert from "node:assert/strict";
import { execFile, execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import { WebSocket, WebSocketServer } from "ws";
import type { EdgeEnvironment, RoutingTable } from "./routing-table.types.ts";
import {
  app,
  environment,
  freePort,
  httpRequest,
  makeDataDir,
  release,
  route,
  startEdge,
  startUpstream,
  type EchoBody,
  type EdgeProcess,
  type Upstream,
} from "./edge-test-harness.ts";
import { stopGracefully } from "./edge-stream-harness.ts";
import { h2Connect, h2Once, h2Request } from "./h2-client.ts";
import type { RequestSeries } from "./edge-stats.types.ts";
import { waitFor } from "../shared/wait.ts";

const run = promisify(execFile);

function selfSigned(dir: string): { certFile: string; keyFile: string } {
  const certFile = join(dir, "h2.crt");
  const keyFile = join(dir, "h2.key");
  execFileSync(
    "openssl",
    ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2", "-subj", "/CN=h2.test"].concat([
      "-keyout",
      keyFile,
      "-out",
      certFile,
    ]),
    { stdio: "ignore" },
  );
  return { certFile, keyFile };
}

describe("edge HTTP/2", () => {
  let edge: EdgeProcess | undefined;
  let up: Upstream | undefined;
  let canary: Upstream | undefined;
  let wsPort = 0;
  let wss: WebSocketServer | undefined;
  let sse: Server | undefined;
  let plain = 0;
  let secure = 0;
  let h1only = 0;
  const dir = mkdtempSync(join(tmpdir(), "rampart-h2-"));
  let table: RoutingTable;

  before(async () => {
    const tls = selfSigned(dir);
    edge = await startEdge(await makeDataDir());
    [plain, secure, h1only] = [await freePort(), await freePort(), await freePort()];
    up = await startUpstream("stable");
    canary = await startUpstream("canary");
    wss = new WebSocketServer({ port: 0, host: "127.0.0.1" });
    wss.on("connection", (ws) => ws.on("message", (data: Buffer) => ws.send(`echo:${data.toString()}`)));
    const server = wss;
    await new Promise((ok) => server.once("listening", ok));
    wsPort = (server.address() as { port: number }).port;
    sse = createServer((_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      // Never ends on its own: only the drain deadline ends it.
      res.write("data: hello\n\n");
    });
    const sseServer = sse;
    await new Promise<void>((ok) => sseServer.listen(0, "127.0.0.1", ok));
    const ssePort = (sseServer.address() as AddressInfo).port;
    const apps = [
      {
        ...app("web", [release(2, 0, [canary]), release(1, 1, [up])]),
        maxBodyBytes: 1024,
        sticky: { kind: "cookie" as const, name: "session" },
      },
      { ...app("limited", [release(1, 1, [up])]), rateLimit: { perSecond: 0.01, burst: 2 } },
      app("ws", [{ release: 1, weight: 1, instances: [{ id: "ws", host: "127.0.0.1", port: wsPort }] }]),
      { ...app("sse", [{ release: 1, weight: 1, instances: [{ id: "sse", host: "127.0.0.1", port: ssePort }] }]), drainMs: 1_000 },
    ];
    const routes = [route("web", "/"), route("limited", "/limited"), route("ws", "/ws"), route("sse", "/events")];
    const cleartext: EdgeEnvironment = { ...environment("plain", plain, routes, apps), http2: { tls: false, cleartext: true } };
    const overTls: EdgeEnvironment = { ...environment("secure", secure, routes, apps), tls };
    const h1: EdgeEnvironment = environment("h1", h1only, routes, apps);
    table = { version: 1, environments: [cleartext, overTls, h1] };
    assert.deepEqual((await edge.client.putTable(table)).errors, []);
  });
  after(async () => {
    await stopGracefully(edge);
    await up?.close();
    await canary?.close();
    await new Promise((ok) => wss?.close(ok));
    sse?.closeAllConnections();
    await new Promise((ok) => sse?.close(ok));
    rmSync(dir, { recursive: true, force: true });
  });

  test("HTTP/2 with prior knowledge and over TLS reaches the instance as HTTP/1.1 with the edge's headers", async () => {
    for (const [url, proto] of [
      [`http://127.0.0.1:${plain}`, "http"],
      [`https://127.0.0.1:${secure}`, "https"],
    ] as const) {
      const reply = await h2Once(url, "/a/b?c=1", {
        headers: { cookie: ["session=abc", "other=1"], "x-request-id": "req-h2-1", "x-forwarded-for": "6.6.6.6" },
      });
      assert.equal(reply.status, 200, reply.body);
      assert.equal(reply.headers["x-request-id"], "req-h2-1");
      const echo = JSON.parse(reply.body) as EchoBody;
      assert.equal(echo.url, "/a/b?c=1");
      assert.equal(echo.headers.host, `127.0.0.1:${url.endsWith(String(plain)) ? plain : secure}`);
      assert.equal(echo.headers.cookie, "session=abc; other=1");
      assert.equal(echo.headers["x-forwarded-proto"], proto);
      assert.equal(echo.headers["x-forwarded-for"], "6.6.6.6, 127.0.0.1");
      assert.match(String(echo.headers.traceparent), /^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);
      assert.ok(!Object.keys(echo.headers).some((name) => name.startsWith(":")), JSON.stringify(echo.headers));
    }
  });

  test("uploads with and without content-length, and the body limit", async () => {
    const url = `http://127.0.0.1:${plain}`;
    const sized = await h2Once(url, "/up", { method: "POST", headers: { "content-length": "5" }, body: "hello" });
    assert.equal((JSON.parse(sized.body) as EchoBody).bodyBytes, 5);
    const streamed = await h2Once(url, "/up", { method: "POST", body: ["abc", "defg", "hij"] });
    const echo = JSON.parse(streamed.body) as EchoBody;
    assert.equal(echo.bodyBytes, 10);
    assert.equal(echo.method, "POST");
    const declared = await h2Once(url, "/up", { method: "POST", headers: { "content-length": "2000" }, body: "x".repeat(2000) });
    assert.equal(declared.status, 413);
    const counted = await h2Once(url, "/up", { method: "POST", body: ["x".repeat(800), "x".repeat(800)] }).catch((e: Error) => e);
    // The limit passes mid-stream: a 413 when no status was sent yet, else the stream is reset.
    assert.ok(counted instanceof Error || counted.status === 413, String(counted instanceof Error ? counted : counted.status));
  });

  test("sticky split, pinning and the rate limit are the same as over HTTP/1.1", async () => {
    const url = `http://127.0.0.1:${plain}`;
    const session = await h2Connect(url);
    try {
      const pinned = await h2Request(session, "/", { headers: { "x-rampart-release": "2" } });
      assert.equal((JSON.parse(pinned.body) as EchoBody).name, "canary");
      // The canary has weight 0: a client with a session cookie stays on stable, and the edge sets no cookie of its own.
      const sticky = await h2Request(session, "/", { headers: { cookie: "session=s1" } });
      assert.equal((JSON.parse(sticky.body) as EchoBody).name, "stable");
      const statuses: number[] = [];
      for (let i = 0; i < 3; i++) statuses.push((await h2Request(session, "/limited")).status);
      assert.deepEqual(statuses, [200, 200, 429]);
    } finally {
      session.close();
    }
  });

  test("requests over HTTP/2 are counted per instance like HTTP/1.1's", async () => {
    const client = edge?.client;
    assert.ok(client !== undefined);
    await client.stats();
    const session = await h2Connect(`https://127.0.0.1:${secure}`);
    try {
      await Promise.all(Array.from({ length: 10 }, () => h2Request(session, "/count")));
      assert.equal((await h2Request(session, "/nothing-here", { headers: { host: "x" } })).status, 200);
    } finally {
      session.close();
    }
    const series: RequestSeries[] = [];
    await waitFor(
      async () => {
        series.push(...(await client.stats()).series);
        return series.filter((s) => s.env === "secure").reduce((n, s) => n + s.count, 0) >= 11 ? true : undefined;
      },
      { timeoutMs: 5_000, intervalMs: 20 },
    );
    const stable = series.filter((s) => s.env === "secure" && s.instance === "stable" && s.status === 200);
    assert.equal(
      stable.reduce((n, s) => n + s.count, 0),
      11,
    );
  });

  test("curl: --http2-prior-knowledge, --http2 over TLS (ALPN), and HTTP/1.1 on the same ports", async () => {
    const format = ["-s", "-o", "/dev/null", "-w", "%{http_version} %{http_code}"];
    const h2c = await run("curl", [...format, "--http2-prior-knowledge", `http://127.0.0.1:${plain}/curl`]);
    assert.equal(h2c.stdout, "2 200");
    const alpn = await run("curl", [...format, "-k", "--http2", `https://127.0.0.1:${secure}/curl`]);
    assert.equal(alpn.stdout, "2 200");
    const tls11 = await run("curl", [...format, "-k", "--http1.1", `https://127.0.0.1:${secure}/curl`]);
    assert.equal(tls11.stdout, "1.1 200");
    const plain11 = await run("curl", [...format, "--http1.1", `http://127.0.0.1:${plain}/curl`]);
    assert.equal(plain11.stdout, "1.1 200");
    // A method that starts like the preface ("PRI * HTTP/2.0") is still HTTP/1.1.
    const propfind = await run("curl", [...format, "-X", "PROPFIND", `http://127.0.0.1:${plain}/curl`]);
    assert.equal(propfind.stdout, "1.1 200");
    // Without the option, a plain port does not speak HTTP/2: curl's prior knowledge fails.
    const refused = await run("curl", [...format, "--http2-prior-knowledge", `http://127.0.0.1:${h1only}/curl`]).catch((e: Error) => e);
    assert.ok(refused instanceof Error || !refused.stdout.startsWith("2 "));
    assert.equal((await httpRequest(h1only, "/curl")).status, 200);
  });

  test("CONNECT is refused over HTTP/2", async () => {
    const session = await h2Connect(`http://127.0.0.1:${plain}`);
    try {
      const stream = session.request({ ":method": "CONNECT", ":authority": "example.com:443" });
      const status = await new Promise<number>((ok, fail) => {
        stream.on("response", (h) => ok(Number(h[":status"])));
        stream.on("error", fail);
      });
      stream.close();
      // Answered by node:http2 itself (no 'connect' listener): nothing reaches the proxy.
      assert.equal(status, 405);
    } finally {
      session.close();
    }
  });

  test("WebSocket still works over HTTP/1.1 on an HTTP/2 port (plain and TLS)", async () => {
    for (const url of [`ws://127.0.0.1:${plain}/ws`, `wss://127.0.0.1:${secure}/ws`]) {
      const ws = new WebSocket(url, { rejectUnauthorized: false });
      const reply = await new Promise<string>((ok, fail) => {
        ws.once("open", () => ws.send("ping"));
        ws.once("message", (data: Buffer) => ok(data.toString()));
        ws.once("error", fail);
      });
      assert.equal(reply, "echo:ping");
      ws.close();
    }
  });

  test("an SSE stream over HTTP/2 ends cleanly (END_STREAM, not a reset) at its instance's drain deadline", async () => {
    assert.ok(edge !== undefined && up !== undefined);
    const session = await h2Connect(`http://127.0.0.1:${plain}`);
    try {
      const stream = session.request({ ":path": "/events" });
      const chunks: string[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c.toString()));
      const ended = new Promise<string>((ok) => {
        stream.on("end", () => ok("end"));
        stream.on("error", (e: Error) => ok(`error ${e.message}`));
      });
      await waitFor(() => (chunks.join("").includes("data: hello") ? true : undefined), { timeoutMs: 5_000 });
      const upstream = up;
      // The SSE instance leaves the table: its stream is ended just before its 1 s drain is over.
      table = {
        ...table,
        version: 2,
        environments: table.environments.map((e) => ({
          ...e,
          apps: e.apps.map((a) => (a.name === "sse" ? { ...a, releases: [release(1, 1, [upstream])] } : a)),
        })),
      };
      assert.deepEqual((await edge.client.putTable(table)).errors, []);
      assert.equal(await ended, "end");
      assert.equal(stream.rstCode, 0);
    } finally {
      session.close();
    }
  });

  test("a closing listener sends GOAWAY at once and lets the open stream finish", async () => {
    assert.ok(up !== undefined && edge !== undefined);
    const session = await h2Connect(`http://127.0.0.1:${plain}`);
    up.hold = true;
    try {
      const pending = h2Request(session, "/held");
      await waitFor(() => (up?.held.length === 1 ? true : undefined), { timeoutMs: 5_000, intervalMs: 5 });
      const goaway = new Promise<number>((ok) => session.once("goaway", (code: number) => ok(code)));
      // The environment leaves the table: its listener closes.
      const without = { ...table, version: 3, environments: table.environments.filter((e) => e.name !== "plain") };
      assert.deepEqual((await edge.client.putTable(without)).errors, []);
      assert.equal(await goaway, 0);
      up.release();
      const reply = await pending;
      assert.equal(reply.status, 200);
    } finally {
      up.hold = false;
      session.close();
    }
  });
});
