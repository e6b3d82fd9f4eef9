import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { EdgeEnvironment, RoutingTable } from "./routing-table.types.ts";
import {
  app,
  environment,
  freePort,
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
import { sendRaw } from "./smuggling-corpus.ts";

/** Status codes of every response head in `text`, in order. */
function statuses(text: string): number[] {
  return [...text.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]));
}

/** The first JSON body in a raw reply (the upstream's echo). */
function echoed(text: string): EchoBody {
  const start = text.indexOf("\r\n\r\n") + 4;
  const end = text.indexOf("}HTTP/1.1", start);
  return JSON.parse(text.slice(start, end === -1 ? undefined : end + 1)) as EchoBody;
}

/** Issue 19, items 2, 3, 9 and 11a: what real clients and attackers send that a strict parser still lets through, and a retry window. */
describe("edge: underscore headers, trailing garbage, h2c, retries over dead instances", () => {
  let edge: EdgeProcess | undefined;
  let port = 0;
  let up: Upstream | undefined;
  let table: RoutingTable | undefined;

  before(async () => {
    edge = await startEdge(await makeDataDir(), { workers: 1 });
    port = await freePort();
    const echo = await startUpstream("quirks");
    up = echo;
    const env: EdgeEnvironment = environment(
      "test",
      port,
      [route("web", "/"), route("cgi", "/cgi")],
      [app("web", [release(1, 1, [echo])]), { ...app("cgi", [release(1, 1, [echo])]), underscoresInHeaders: true }],
    );
    table = { version: 1, environments: [env] };
    assert.deepEqual((await edge.client.putTable(table)).errors, []);
  });
  after(async () => {
    await up?.close();
    await stopGracefully(edge);
  });

  test("header names with underscores are dropped by default (X_Forwarded_For, Transfer_Encoding)", async () => {
    const raw =
      "GET /u HTTP/1.1\r\nHost: x\r\nX_Forwarded_For: 6.6.6.6\r\nTransfer_Encoding: chunked\r\nX_Request_Id: spoof\r\n" +
      "X_Custom: 1\r\nX-Kept: yes\r\nConnection: close\r\n\r\n";
    const reply = await sendRaw(port, "127.0.0.1", raw, 5_000);
    assert.equal(reply.status, 200, reply.text);
    const headers = echoed(reply.text).headers;
    for (const name of Object.keys(headers)) assert.ok(!name.includes("_"), `forwarded ${name}: ${String(headers[name])}`);
    assert.equal(headers["x-kept"], "yes");
    assert.equal(headers["x-forwarded-for"], "127.0.0.1");
  });

  test("an app that allows them gets its own underscore headers, never ones shadowing the edge's", async () => {
    const raw =
      "GET /cgi HTTP/1.1\r\nHost: x\r\nX_Forwarded_For: 6.6.6.6\r\nTransfer_Encoding: chunked\r\nX_Forwarded_Proto: https\r\n" +
      "Content_Length: 5\r\nX_Custom: 1\r\nConnection: close\r\n\r\n";
    const reply = await sendRaw(port, "127.0.0.1", raw, 5_000);
    assert.equal(reply.status, 200, reply.text);
    const headers = echoed(reply.text).headers;
    assert.equal(headers.x_custom, "1");
    for (const name of ["x_forwarded_for", "transfer_encoding", "x_forwarded_proto", "content_length"])
      assert.equal(headers[name], undefined, `${name} reached the app`);
  });

  test("a valid request followed by garbage: the request is answered, then the 400, then the connection closes", async () => {
    const raw = "POST /work HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nokGARBAGE\x01 / HTTP/1.1\r\n\r\n";
    const reply = await sendRaw(port, "127.0.0.1", raw, 5_000);
    assert.ok(reply.closed, "the connection stayed open");
    // The request was forwarded as soon as it was complete, so the app runs it: its answer must reach the client.
    assert.deepEqual(statuses(reply.text), [200, 400], reply.text);
    assert.equal(echoed(reply.text).url, "/work");
    assert.equal(echoed(reply.text).bodyBytes, 2);
  });

  test("Upgrade: h2c with a request pipelined after it: answered, then closed (never left hanging)", async () => {
    const raw =
      "GET /h2c HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n" +
      "GET /after HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    const reply = await sendRaw(port, "127.0.0.1", raw, 5_000);
    assert.ok(reply.closed, `the connection hung open after: ${reply.text}`);
    assert.equal(reply.status, 200, reply.text);
    assert.equal(echoed(reply.text).url, "/h2c");
  });

  test("a GET is retried on each instance until one answers (two of three dead, neither marked down)", async () => {
    assert.ok(edge !== undefined && up !== undefined && table !== undefined);
    const [env] = table.environments;
    assert.ok(env !== undefined);
    // Fresh ids: nothing answered or was marked down for them, so the first pick is the first instance (a dead port),
    // and a single retry within the release would go to the next one, dead too.
    const dead = [await freePort(), await freePort()];
    const instances = [
      { id: "dead-1", host: "127.0.0.1", port: dead[0] ?? 0 },
      { id: "dead-2", host: "127.0.0.1", port: dead[1] ?? 0 },
      { id: "alive", host: "127.0.0.1", port: up.port },
    ];
    const retry = { ...app("retry", []), releases: [{ release: 1, weight: 1, instances }] };
    const next: RoutingTable = {
      version: 2,
      environments: [{ ...env, routes: [...env.routes, route("retry", "/retry")], apps: [...env.apps, retry] }],
    };
    assert.deepEqual((await edge.client.putTable(next)).errors, []);
    const reply = await sendRaw(port, "127.0.0.1", "GET /retry HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 5_000);
    assert.equal(reply.status, 200, reply.text);
  });
});
