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
      const result = await runH2Attack(attack, port, "/attack", "/probe");
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
