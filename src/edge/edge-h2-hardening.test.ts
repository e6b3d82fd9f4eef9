import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Pool } from "undici";
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
  type EdgeProcess,
  type Upstream,
} from "./edge-test-harness.ts";
import { stopGracefully } from "./edge-stream-harness.ts";
import { H2_FLOOD_LIMITS, H2_SETTINGS } from "./h2-guard.ts";
import { H2_ATTACKS, runH2Attack, wellFormedRequest } from "./h2-attack-corpus.ts";
import { h2Once } from "./h2-client.ts";
import { SMUGGLED_PATH, runCorpus } from "./smuggling-corpus.ts";

/**
 * The HTTP/2 attacks of h2-attack-corpus.ts against an edge with one worker (so the other client's requests go
 * to the worker under attack), cleartext HTTP/2 with prior knowledge, and HTTP/1.1's corpus on the same port.
 */
describe("edge HTTP/2 hardening", () => {
  let edge: EdgeProcess | undefined;
  let up: Upstream | undefined;
  let port = 0;
  const seen: string[] = [];

  before(async () => {
    edge = await startEdge(await makeDataDir(), { workers: 1 });
    port = await freePort();
    up = await startUpstream("hard", (req, res) => {
      seen.push(req.url ?? "");
      req.resume();
      req.on("end", () => res.end("ok"));
    });
    const env: EdgeEnvironment = {
      ...environment("test", port, [route("web", "/")], [{ ...app("web", [release(1, 1, [up])]), maxBodyBytes: 1024 }]),
      limits: { headerTimeoutMs: 1_000, idleTimeoutMs: 5_000, maxHeaderBytes: 8 * 1024 },
      http2: { tls: true, cleartext: true },
    };
    const table: RoutingTable = { version: 1, environments: [env] };
    assert.deepEqual((await edge.client.putTable(table)).errors, []);
  });
  after(async () => {
    await stopGracefully(edge);
    await up?.close();
  });

  test("the control: a request written frame by frame is answered", async () => {
    const seenFrames = await wellFormedRequest(port, "/control");
    assert.equal(seenFrames.answered, 1);
    assert.equal(seenFrames.goaway, undefined);
    assert.ok(seen.includes("/control"));
  });

  for (const attack of H2_ATTACKS) {
    test(attack.name, async () => {
      const before = seen.filter((url) => url === "/attack").length;
      // HTTP/1.1 keep-alive traffic on the same worker meanwhile: none of it may be lost (a connection to the instance
      // paused for a reset stream's answer once went back to the pool paused, and the next answer on it was never read).
      const pool = new Pool(`http://127.0.0.1:${port}`, { connections: 8, headersTimeout: 5_000, bodyTimeout: 5_000 });
      let steady = true;
      const lost: string[] = [];
      const loops = Array.from({ length: 8 }, async () => {
        while (steady) {
          try {
            await (await pool.request({ path: "/steady", method: "GET" })).body.text();
          } catch (error) {
            lost.push(error instanceof Error ? error.message : String(error));
          }
          // Pauses leave idle connections to the instance for the attack's streams to be sent on.
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      });
      const result = await runH2Attack(attack, port, "/attack", "/probe");
      // Long enough for a lost answer to show as a timeout.
      await new Promise((resolve) => setTimeout(resolve, 5_500));
      steady = false;
      await Promise.all(loops);
      await pool.close();
      assert.deepEqual(lost, [], `steady HTTP/1.1 requests failed during the attack: ${result.detail}`);
      assert.ok(result.ok, result.detail);
      // The work an attack causes upstream is bounded (open streams, plus those cancelled before the reset limit), never
      // one request per frame it sent.
      const forwarded = seen.filter((url) => url === "/attack").length - before;
      assert.ok(
        forwarded <= H2_SETTINGS.maxConcurrentStreams + H2_FLOOD_LIMITS.reset.burst,
        `${forwarded} attack requests reached the instance: ${result.detail}`,
      );
      assert.equal((await h2Once(`http://127.0.0.1:${port}`, "/after")).status, 200);
    });
  }

  test("HTTP/1.1's malformed-request corpus is answered the same on a port that also speaks HTTP/2", async () => {
    const results = await runCorpus(port);
    for (const r of results)
      assert.ok(r.ok, `${r.name}: expected ${r.expect}, got ${r.status ?? "no answer"}${r.closed ? "" : ", left open"}`);
    assert.ok(!seen.includes(SMUGGLED_PATH));
  });
});
