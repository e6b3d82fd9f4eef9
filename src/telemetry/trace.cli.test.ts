import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { spanFromEdge } from "./trace-ingest.ts";
import { spanPath } from "./trace.types.ts";

const CLI = fileURLToPath(new URL("../cli/main.ts", import.meta.url));
const TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";

// The edge's span of `GET /search/shoes?q=red` matched by the route `/search`, as the API returns it.
const edge = spanFromEdge({
  traceId: TRACE,
  spanId: "00f067aa0ba902b7",
  parentSpanId: null,
  env: "staging",
  app: "web",
  release: 1,
  instance: "staging.web.r1.1",
  route: "/search",
  method: "GET",
  target: "/search/shoes?q=red&token=secret",
  status: 200,
  requestId: "r1",
  startMs: 1_800_000_000_000,
  durationMs: 12,
});
const span = { ...edge, path: spanPath(edge.attributes) };
const summary = { ...span, spans: 1 };

/** `rampart traces …` against a stand-in for the API: what the CLI prints of the API's answers. */
describe("rampart traces (issue 19 item 14)", () => {
  let server: Server;
  let api = "";
  before(async () => {
    server = createServer((req, res) => {
      res.setHeader("content-type", "application/json");
      if (req.url === `/api/v1/traces/${TRACE}`) return res.end(JSON.stringify({ traceId: TRACE, spans: [span] }));
      if (req.url?.startsWith("/api/v1/envs/staging/apps/web/traces")) return res.end(JSON.stringify({ traces: [summary] }));
      res.statusCode = 404;
      res.end(JSON.stringify({ error: { code: "not_found", message: `no ${req.url}` } }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    api = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => server.close());

  const cli = async (...args: string[]) =>
    (await promisify(execFile)(process.execPath, [CLI, "--api", api, ...args], { env: { ...process.env, RAMPART_TOKEN: "t" } })).stdout;

  it("`traces show ID --json` prints the trace as JSON, with the path", async () => {
    const shown = JSON.parse(await cli("traces", "show", TRACE, "--json")) as { traceId: string; spans: { path: string }[] };
    assert.equal(shown.traceId, TRACE);
    assert.equal(shown.spans[0]?.path, "/search/shoes", "the path, without the query");
  });

  it("shows the path beside the route, in the list and in the tree", async () => {
    const tree = await cli("traces", "show", TRACE);
    assert.match(tree, /^GET \/search 200 {2}12\.0 ms {2}\(\+0\.00 ms, edge, \/search\/shoes\)$/m);
    assert.doesNotMatch(tree, /secret/);
    const list = (await cli("traces", "web", "--env", "staging")).split("\n");
    assert.match(list[0] ?? "", /^TRACE +REQUEST +PATH +STATUS/);
    assert.match(list[1] ?? "", new RegExp(`^${TRACE} +GET /search +/search/shoes +200 `));
  });
});
