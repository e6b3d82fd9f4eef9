import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { waitForRelease } from "../releases/release-wait.ts";
import { waitFor } from "../shared/wait.ts";
import { killPlatform, startRampartUp, type RampartUp } from "../testing/rampart-process.ts";
import { createTestProject, type TestProject } from "../testing/test-project.ts";

const SERVER = `
import { createServer } from "node:http";
const page = "<!doctype html><html><head><title>shop</title></head><body><h1>Shop</h1></body></html>";
createServer((req, res) => {
  if (req.url === "/healthz") return res.end("ok");
  res.writeHead(200, { "content-type": "text/html" });
  res.end(page);
}).listen(Number(process.env.PORT), "127.0.0.1");
`;
const CANARY = "    rum: true\n    release: { strategy: canary, steps: [50, 100], pause: 2s, guards: { lcp_p75: 1.2x } }";

function call(port: number, path: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}) {
  return new Promise<{ status: number; body: string }>((ok, fail) => {
    const req = request({ host: "127.0.0.1", port, path, method: init.method ?? "GET", headers: init.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => ok({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
    });
    req.on("error", fail);
    req.end(init.body);
  });
}

describe("a canary guarded by lcp_p75: 1.2x is rolled back when its pages paint slower than stable's", () => {
  let source: string;
  let project: TestProject;
  let up: RampartUp;

  before(async () => {
    source = mkdtempSync(join(tmpdir(), "rampart-rum-canary-"));
    writeFileSync(join(source, "server.mjs"), SERVER);
    project = await createTestProject({ source, instances: 1, appYaml: CANARY });
    up = await startRampartUp({ manifestPath: project.manifestPath, dataDir: project.dataDir });
    await waitForRelease(up.client, await up.client.deploy("staging", "web"), 90_000);
  });
  after(async () => {
    await killPlatform(project.dataDir, up);
    rmSync(source, { recursive: true, force: true });
  });

  it("the beacons of each release's pages decide: LCP ~2.5x stable's fails the canary with the lcp_p75 evidence", async () => {
    const port = project.ports.staging;
    assert.ok(port !== undefined);
    project.touchSource("v2");
    const canary = await up.client.deploy("staging", "web");
    const rolledBack = assert.rejects(waitForRelease(up.client, canary, 90_000), /rolled back: canary analysis failed: lcp_p75/);
    await waitFor(
      async () => {
        const r = await up.client.rollout("staging", "web");
        return r.release === canary.number && r.state === "shifting" && (r.canaryPercent ?? 0) > 0 ? true : undefined;
      },
      { timeoutMs: 60_000 },
    );
    // A page of each release (pinned from loopback), and its token: what a browser on each side would report with.
    const tokenOf = async (release: number) => {
      const page = await call(port, "/", { headers: { "x-rampart-release": String(release) } });
      const token = /data-rampart-rum="([^"]+)"/.exec(page.body)?.[1];
      assert.ok(token?.startsWith(`web:${release}:`), page.body);
      return token;
    };
    const stable = await tokenOf(canary.number - 1);
    const fresh = await tokenOf(canary.number);
    // 12 beacons of 10 page views each per side (> the analysis' 100), within the beacon rate of one address.
    for (let b = 0; b < 12; b++) {
      for (const [token, median] of [
        [stable, 1000],
        [fresh, 2500],
      ] as const) {
        const m = Array.from({ length: 10 }, (_, i) => ({ n: "lcp", v: median * (0.8 + i * 0.04) }));
        const reply = await call(port, "/_rampart/rum", { method: "POST", body: JSON.stringify({ t: token, m }) });
        assert.equal(reply.status, 204, reply.body);
      }
    }
    await rolledBack;
    const rollout = await up.client.rollout("staging", "web");
    assert.equal(rollout.outcome, "rolled_back");
    const checks = (rollout.verdict?.checks ?? []) as { metric: string; decision: string; samples: { canary: number } }[];
    const lcp = checks.find((c) => c.metric === "lcp_p75");
    assert.equal(lcp?.decision, "fail", JSON.stringify(checks));
    // The sequential test may fail the canary before every beacon is in (a fail is valid at any count): the verdict
    // counts the page views it had, whole beacons of 10, at most all 120.
    const judged = lcp?.samples.canary ?? 0;
    assert.ok(judged > 0 && judged <= 120 && judged % 10 === 0, `the verdict judged ${judged} of the canary's page views`);
    // Every beacon was answered 204; the control plane files the edge's aggregates each second, so the last may lag.
    const counts = async () =>
      (await up.client.rum("staging", "web", { since: "5m" })).releases.map((r) => [r.release, r.lcp.count] as [number, number]);
    const all = await waitFor(
      async () => {
        const c = await counts();
        return c.length === 2 && c.every(([, n]) => n === 120) ? c : undefined;
      },
      { timeoutMs: 10_000, onTimeout: () => new Error("the RUM summary never counted 120 page views for each release") },
    );
    assert.deepEqual(all, [
      [canary.number, 120],
      [canary.number - 1, 120],
    ]);
  });
});
