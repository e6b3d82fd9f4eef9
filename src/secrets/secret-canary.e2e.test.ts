import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import type { ApiClient } from "../client/api-client.ts";
import { waitForRelease } from "../releases/release-wait.ts";
import { waitFor } from "../shared/wait.ts";
import { killPlatform, startRampartUp, type RampartUp } from "../testing/rampart-process.ts";
import { startSteadyLoad } from "../testing/steady-load.ts";
import { createTestProject, type TestProject } from "../testing/test-project.ts";
import { plaintextHits } from "./secret-scan.fixture.ts";

/**
 * An app whose requests need its API key (as a payment provider's would): with a bad key it starts and passes its
 * health check, but fails every request. Only live traffic can tell, which is the canary's job.
 */
const KEYED_APP = `
import { createServer } from "node:http";
import { createHash } from "node:crypto";
const value = process.env.API_TOKEN ?? "";
const hash = createHash("sha256").update(value).digest("hex");
const server = createServer((req, res) => {
  if (req.url === "/healthz") return res.end("ok");
  if (value.startsWith("bad-")) { res.statusCode = 500; return res.end("the payment provider refused API_TOKEN"); }
  res.setHeader("content-type", "application/json");
  res.end(JSON.stringify({ release: process.env.RAMPART_RELEASE, hash }));
});
server.listen(Number(process.env.PORT), "127.0.0.1");
process.on("SIGTERM", () => server.close(() => process.exit(0)));
`;

// Guards as a production app would set them: errors no worse than 2x stable's; latency loose, so the shared test
// machine's load does not roll back a good change.
const CANARY_APP = `    secrets: [API_TOKEN]
    release: { strategy: canary, steps: [10, 50, 100], pause: 2s, hold_timeout: 60s, guards: { error_rate: 2x, p99_latency: 3x } }`;
const RATE = 100;
const CLI = fileURLToPath(new URL("../cli/main.ts", import.meta.url));

/**
 * The CLI without blocking this process (runCli's spawnSync would): the load generator in this process must keep
 * sending while a command waits, or the canary sees no traffic and the load fires its backlog in one burst after.
 */
function runCliAsync(args: string[], input?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ["pipe", "pipe", "pipe"], timeout: 180_000 });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  child.stdin.end(input ?? "");
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, stdout, stderr }));
  });
}

const sha = (v: string) => createHash("sha256").update(v).digest("hex");
const newValue = () => `key-${randomBytes(12).toString("hex")}`;

describe("a secret change is a canary release: a bad value is caught on live traffic and rolled back by itself", () => {
  let project: TestProject;
  let up: RampartUp;
  let client: ApiClient;
  const [v1, v2, v3] = [newValue(), newValue(), newValue()];
  const bad = `bad-${newValue()}`;
  const edge = () => `http://127.0.0.1:${project.ports.production}/`;
  const cli = (args: string[], input?: string) => runCliAsync([...args, "--data", project.dataDir], input);
  const set = async (value: string) => {
    const result = await cli(["secrets", "set", "web", "API_TOKEN", "--env", "production"], value);
    assert.equal(result.code, 0, result.stderr);
    return Number(/release (\d+)/.exec(result.stdout)?.[1] ?? assert.fail(`no release in: ${result.stdout}`));
  };
  const release = async (number: number) => {
    const found = (await client.releases("production", "web")).find((r) => r.number === number);
    return found ?? assert.fail(`release ${number} not found`);
  };
  const served = async () => (await (await fetch(edge())).json()) as { release: string; hash: string };

  before(async () => {
    project = await createTestProject({ instances: 2, appYaml: CANARY_APP });
    writeFileSync(join(project.dir, "web", "server.mjs"), KEYED_APP);
    up = await startRampartUp({ manifestPath: project.manifestPath, dataDir: project.dataDir });
    client = up.client;
    const first = await cli(["secrets", "set", "web", "API_TOKEN", "--env", "production"], v1);
    assert.equal(first.code, 0, first.stderr);
    await waitForRelease(client, await client.deploy("production", "web"), 90_000);
  });
  after(async () => killPlatform(project.dataDir, up));

  it("a good value goes through every canary step with no failed request", async (t) => {
    const load = startSteadyLoad(edge(), { ratePerSecond: RATE, maxMs: 180_000 });
    const t0 = Date.now();
    const number = await set(v2);
    assert.equal(number, 2);
    assert.deepEqual((await release(number)).config.secretVersions, { API_TOKEN: 2 });
    await waitForRelease(client, await release(number), 120_000);
    const result = await load.stop();
    t.diagnostic(`good value set→live through the canary: ${Date.now() - t0} ms; ${JSON.stringify(result.byRelease)}`);
    assert.equal(result.failed, 0, JSON.stringify(result.failureKinds));
    assert.equal((await served()).hash, sha(v2));
  });

  it("a bad value: the canary fails on live traffic and is rolled back by itself; only the canary's share failed", async (t) => {
    const load = startSteadyLoad(edge(), { ratePerSecond: RATE, maxMs: 180_000 });
    const t0 = Date.now();
    // As an operator would: --wait follows the canary and exits 1 when it is rolled back, saying why and what next.
    const waited = await cli(["secrets", "set", "web", "API_TOKEN", "--env", "production", "--wait"], bad);
    assert.equal(waited.code, 1, waited.stderr);
    assert.match(waited.stdout + waited.stderr, /release 3 rolling out \(canary\)|canary rollout of release 3/);
    assert.match(waited.stderr, /rolled back: canary analysis failed/);
    assert.match(waited.stderr, /rampart rollout web --env production/);
    assert.equal((await release(3)).status, "rolled_back");
    const rollout = await client.rollout("production", "web");
    // Two more seconds of traffic after the rollback: none of it may fail.
    const since = load.current();
    await waitFor(async () => (load.current().sent >= since.sent + 2 * RATE ? true : undefined), { timeoutMs: 30_000 });
    const result = await load.stop();
    assert.equal(rollout.outcome, "rolled_back");
    assert.equal(rollout.verdict?.decision, "fail");
    const checks = (rollout.verdict?.checks ?? []) as { metric: string; decision: string }[];
    assert.ok(
      checks.some((c) => c.metric === "error_rate" && c.decision === "fail"),
      JSON.stringify(checks),
    );
    assert.ok(rollout.trafficSince && rollout.rolledBackAt, "the rollout records when the canary took traffic and when it went back");
    const detectMs = rollout.rolledBackAt - rollout.trafficSince;
    const setToBackMs = rollout.rolledBackAt - t0;
    // The failures come from the canary's instances only: between the first and the last, at most its share (10 %)
    // of what was sent failed (a margin for the load's 5 ms batches and the shift back taking effect at the edge).
    const failingMs = (result.lastFailureAt ?? 0) - (result.firstFailureAt ?? 0);
    const sentWhileFailing = Math.max(1, Math.round(((failingMs + 10) / 1000) * RATE));
    t.diagnostic(
      `bad value: canary traffic → rolled back ${detectMs} ms, set → rolled back ${setToBackMs} ms; ` +
        `failed ${result.failed} of ${result.sent} sent in the test (${((result.failed / result.sent) * 100).toFixed(1)} %), ` +
        `over ${failingMs} ms (~${sentWhileFailing} sent then: ${((result.failed / sentWhileFailing) * 100).toFixed(1)} %); ` +
        JSON.stringify(result.failureKinds),
    );
    assert.ok(detectMs < 30_000, `detected and back in ${detectMs} ms`);
    assert.ok(result.failed > 0, "the bad value did fail the canary's requests");
    assert.ok(result.failed <= sentWhileFailing * 0.2 + 5, `failed ${result.failed} of ~${sentWhileFailing} sent while failing`);
    assert.ok(result.failed < result.sent * 0.05, `failed ${result.failed} of ${result.sent}`);
    assert.equal(result.failed, since.failed, "no failure after the rollback");
    assert.ok((result.lastFailureAt ?? 0) <= rollout.rolledBackAt + 1000, "failures stop with the rollback");
    const status = (await client.status()).environments.find((e) => e.name === "production")?.apps[0];
    assert.equal(status?.live, 2);
    assert.equal((await served()).hash, sha(v2));
  });

  it("a good change after it, then `rampart rollback`: the previous versions come back, no failed request", async (t) => {
    const load = startSteadyLoad(edge(), { ratePerSecond: RATE, maxMs: 240_000 });
    const fixed = await set(v3);
    assert.deepEqual((await release(fixed)).config.secretVersions, { API_TOKEN: 4 });
    await waitForRelease(client, await release(fixed), 120_000);
    assert.equal((await served()).hash, sha(v3));
    const t0 = Date.now();
    const back = await cli(["rollback", "web", "--env", "production", "--wait", "--json"]);
    assert.equal(back.code, 0, back.stderr);
    const rolledBack = JSON.parse(back.stdout) as { number: number; status: string; config: { secretVersions?: Record<string, number> } };
    t.diagnostic(`rampart rollback --wait (canary): ${Date.now() - t0} ms`);
    assert.equal(rolledBack.status, "live");
    assert.deepEqual(rolledBack.config.secretVersions, { API_TOKEN: 2 }, "the versions of release 2, the one live before");
    assert.equal((await served()).hash, sha(v2));
    const result = await load.stop();
    assert.equal(result.failed, 0, JSON.stringify(result.failureKinds));
  });

  it("no value shown: 0 hits in the logs, events, the control plane's output and the data dir", async () => {
    const texts = [
      JSON.stringify(await client.logs("production", "web", { limit: 10_000 })),
      JSON.stringify(await client.events({ limit: 10_000 })),
      JSON.stringify(await client.releases("production", "web")),
      up.output(),
    ];
    assert.deepEqual(plaintextHits([v1, v2, v3, bad], texts, project.dataDir), []);
  });
});
