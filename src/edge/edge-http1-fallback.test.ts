import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { RoutingTable } from "./routing-table.types.ts";
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
  type EdgeProcess,
  type Upstream,
} from "./edge-test-harness.ts";
import { stopGracefully } from "./edge-stream-harness.ts";
import { runCorpus, SMUGGLING_CORPUS } from "./smuggling-corpus.ts";

/**
 * RAMPART_EDGE_HTTP1=node: the operator's switch back to node:http's server side (listener-set.ts). Every other edge
 * test runs the edge's own (the default); this one keeps the fallback proxying and refusing the corpus as before.
 */
describe("edge on node:http's server side (RAMPART_EDGE_HTTP1=node)", () => {
  let edge: EdgeProcess | undefined;
  let up: Upstream | undefined;
  let port = 0;

  before(async () => {
    edge = await startEdge(await makeDataDir(), { workers: 1, env: { RAMPART_EDGE_HTTP1: "node" } });
    port = await freePort();
    up = await startUpstream("fallback");
    const table: RoutingTable = {
      version: 1,
      environments: [environment("test", port, [route("web", "/")], [app("web", [release(1, 1, [up])])])],
    };
    assert.deepEqual((await edge.client.putTable(table)).errors, []);
  });
  after(async () => {
    await up?.close();
    await stopGracefully(edge);
  });

  test("the worker says which server side it runs; requests are proxied, with and without a body", async () => {
    assert.match(edge?.stderr() ?? "", /HTTP\/1\.x served by node:http's server side \(RAMPART_EDGE_HTTP1=node\)/);
    assert.equal((await httpRequest(port, "/a")).status, 200);
    assert.equal((await httpRequest(port, "/b", { method: "POST", body: Buffer.from("abc") })).status, 200);
  });

  test("the malformed-request corpus gets its statuses and closed connections", async () => {
    const failed = (await runCorpus(port)).filter((r) => !r.ok);
    assert.deepEqual(failed, [], JSON.stringify(failed, null, 1));
    assert.ok(SMUGGLING_CORPUS.length > 40);
  });
});
