import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { waitFor } from "../shared/wait.ts";
import {
  app,
  type EchoBody,
  type EdgeProcess,
  environment,
  freePort,
  httpRequest,
  makeDataDir,
  release,
  route,
  startEdge,
  startUpstream,
  stopEdge,
  type Upstream,
} from "./edge-test-harness.ts";

const TOKEN = "probe-token-0123456789abcdef";
let edge: EdgeProcess | undefined;
let upstream: Upstream | undefined;
let port = 0;

before(async () => {
  edge = await startEdge(await makeDataDir());
  upstream = await startUpstream("web");
  port = await freePort();
  const env = { ...environment("test", port, [route("web", "/")], [app("web", [release(1, 1, [upstream])])]), probeToken: TOKEN };
  assert.deepEqual((await edge.client.putTable({ version: 1, environments: [env] })).errors, []);
});
after(async () => {
  await upstream?.close();
  await stopEdge(edge);
});

test("a synthetic check (X-Rampart-Probe with the table's token) is proxied but not measured; a forged one is measured; the app sees neither", async () => {
  assert.ok(edge !== undefined);
  const client = edge.client;
  await client.stats(); // start from nothing
  const seen: EchoBody[] = [];
  const sent: Record<string, string>[] = [
    { "x-rampart-probe": TOKEN },
    { "x-rampart-probe": TOKEN },
    { "x-rampart-probe": `${TOKEN}x` },
    { "x-rampart-probe": "guess" },
    {},
  ];
  for (const headers of sent) {
    const reply = await httpRequest(port, "/", { headers });
    assert.equal(reply.status, 200);
    seen.push(JSON.parse(reply.body) as EchoBody);
  }
  assert.ok(
    seen.every((b) => b.headers["x-rampart-probe"] === undefined),
    "the header never reaches the app",
  );
  let counted = 0;
  await waitFor(
    async () => {
      counted += (await client.stats()).series.reduce((n, s) => n + s.count, 0);
      return counted >= 3 ? true : undefined;
    },
    { timeoutMs: 10_000 },
  );
  counted += (await client.stats()).series.reduce((n, s) => n + s.count, 0);
  assert.equal(counted, 3, "the two probes are not counted; the forged ones and the plain one are");
});
