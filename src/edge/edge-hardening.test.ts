import assert from "node:assert/strict";
import { connect } from "node:net";
import { before, describe, test } from "node:test";
import type { EdgeEnvironment } from "./routing-table.types.ts";
import { app, environment, httpRequest, release, route, edgeRig } from "./edge-test-harness.ts";
import { stopGracefully } from "./edge-stream-harness.ts";
import { runCorpus, sendRaw, SMUGGLED_PATH, SMUGGLING_CORPUS } from "./smuggling-corpus.ts";
import { waitFor } from "../shared/wait.ts";

const INNER = `GET ${SMUGGLED_PATH} HTTP/1.1\r\nHost: x\r\n\r\n`;

describe("edge hardening", () => {
  const rig = edgeRig({ stop: stopGracefully });
  /** Every request target the upstream received, in order. */
  const seen: string[] = [];

  before(async () => {
    const up = await rig.upstream("hard", (req, res) => {
      seen.push(req.url ?? "");
      let bytes = 0;
      req.on("data", (chunk: Buffer) => (bytes += chunk.length));
      req.on("end", () => res.end(JSON.stringify({ url: req.url, bytes })));
    });
    const main = { ...app("web", [release(1, 1, [up])]), maxBodyBytes: 1024 };
    const limited = { ...app("limited", [release(1, 1, [up])]), rateLimit: { perSecond: 0.01, burst: 2 } };
    const env: EdgeEnvironment = {
      ...environment("test", rig.port, [route("web", "/"), route("limited", "/limited")], [main, limited]),
      limits: { headerTimeoutMs: 1_000, idleTimeoutMs: 1_000, maxHeaderBytes: 8 * 1024 },
    };
    await rig.pushTable([env]);
  });

  test("every malformed or smuggling request of the corpus gets its status and a closed connection", async () => {
    const results = await runCorpus(rig.port);
    const failed = results.filter((r) => !r.ok);
    assert.deepEqual(failed, [], JSON.stringify(failed, null, 1));
    assert.equal(results.length, SMUGGLING_CORPUS.length);
    assert.ok(!seen.includes(SMUGGLED_PATH), `the upstream saw a smuggled request: ${seen.join(" ")}`);
    // The declined upgrade held the instance while it lasted; nothing stays counted in flight.
    await waitFor(async () => ((await rig.edge.client.stats()).inflight.hard === 0 ? true : undefined), { timeoutMs: 5_000 });
  });

  test("valid framing still passes: chunked, Chunked, tab before chunked, chunk extensions, GET with a body", async () => {
    const bodies = [
      "POST /ok HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
      "POST /ok HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: Chunked\r\nConnection: close\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
      "POST /ok HTTP/1.1\r\nHost: x\r\nTransfer-Encoding:\tchunked\r\nConnection: close\r\n\r\n3;x=y\r\nabc\r\n0\r\n\r\n",
      // The body spells a request; it must reach the upstream as body bytes, never as a request.
      `GET /ok HTTP/1.1\r\nHost: x\r\nContent-Length: ${INNER.length}\r\nConnection: close\r\n\r\n${INNER}`,
    ];
    for (const raw of bodies) {
      const reply = await sendRaw(rig.port, "127.0.0.1", raw, 5_000);
      assert.equal(reply.status, 200, `${raw}\n→ ${reply.text}`);
    }
    assert.ok(!seen.includes(SMUGGLED_PATH));
  });

  test("413 for a declared body over the app's limit, before the upstream is contacted", async () => {
    const before = seen.length;
    const reply = await httpRequest(rig.port, "/big", { method: "POST", body: Buffer.alloc(4096) });
    assert.equal(reply.status, 413);
    assert.equal(reply.headers.connection, "close");
    assert.equal((JSON.parse(reply.body) as { error: { code: string } }).error.code, "payload_too_large");
    assert.equal(seen.length, before);
    const small = await httpRequest(rig.port, "/small", { method: "POST", body: Buffer.alloc(1000) });
    assert.equal(small.status, 200);
  });

  test("413 and a closed connection for a chunked body that grows past the limit", async () => {
    const chunk = `400\r\n${"a".repeat(1024)}\r\n`;
    const raw = `POST /chunked-big HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n${chunk}${chunk}${chunk}0\r\n\r\n`;
    const reply = await sendRaw(rig.port, "127.0.0.1", raw, 5_000);
    assert.equal(reply.status, 413, reply.text);
    assert.ok(reply.closed);
  });

  test("431 for headers over the environment's maxHeaderBytes", async () => {
    const reply = await sendRaw(rig.port, "127.0.0.1", `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${"b".repeat(10 * 1024)}\r\n\r\n`, 5_000);
    assert.equal(reply.status, 431);
    assert.ok(reply.closed);
  });

  test("408 and close for a client that does not finish its headers (slowloris)", async () => {
    const reply = await sendRaw(rig.port, "127.0.0.1", "GET / HTTP/1.1\r\nHost: x\r\nX-Slow: 1\r\n", 10_000);
    assert.equal(reply.status, 408, reply.text);
    assert.ok(reply.closed);
  });

  test("an idle keep-alive connection is closed after idleTimeoutMs", async () => {
    const closed = await new Promise<boolean>((resolve) => {
      const socket = connect({ port: rig.port, host: "127.0.0.1" });
      const timer = setTimeout(() => {
        socket.destroy();
        resolve(false);
      }, 10_000);
      socket.on("close", () => {
        clearTimeout(timer);
        resolve(true);
      });
      socket.on("error", () => {});
      socket.on("data", () => {});
      socket.write("GET /idle HTTP/1.1\r\nHost: x\r\n\r\n");
    });
    assert.ok(closed);
  });

  test("429 with Retry-After once a client IP used its burst (buckets are per worker)", async () => {
    const statuses: number[] = [];
    let retryAfter: string | undefined;
    // Two workers with a burst of 2 each: at most 4 pass, however the kernel spreads the connections.
    for (let i = 0; i < 8; i++) {
      const reply = await httpRequest(rig.port, "/limited/x");
      statuses.push(reply.status);
      if (reply.status === 429) retryAfter = String(reply.headers["retry-after"]);
    }
    assert.ok(statuses.filter((s) => s === 200).length <= 4, statuses.join(","));
    assert.ok(statuses.filter((s) => s === 429).length >= 4, statuses.join(","));
    assert.ok(Number(retryAfter) >= 1, String(retryAfter));
    // Other apps are not limited.
    assert.equal((await httpRequest(rig.port, "/other")).status, 200);
  });
});
