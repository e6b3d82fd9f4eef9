import assert from "node:assert/strict";
import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { readCredentials } from "../daemon/credentials.ts";
import { waitFor } from "../shared/wait.ts";
import { platformRig } from "../testing/platform-rig.ts";
import { runCli } from "../testing/rampart-process.ts";
import { createTestProject } from "../testing/test-project.ts";
import type { CheckView } from "./checks.types.ts";
import { fileTexts, filesUnder, secretHits } from "../testing/secret-scan.ts";

delete process.env.RAMPART_API;
delete process.env.RAMPART_TOKEN;
delete process.env.RAMPART_DATA;

// /api/orders answers 500 while the file FAIL_FILE exists: the test switches the route's failure on and off.
const APP = `
import { createServer } from "node:http";
import { existsSync } from "node:fs";
const server = createServer((req, res) => {
  if (req.url === "/healthz") return res.end("ok");
  if (req.url.startsWith("/api/orders") && existsSync(process.env.FAIL_FILE)) { res.statusCode = 500; return res.end('{"status":"DOWN"}'); }
  res.setHeader("content-type", "application/json");
  res.end(JSON.stringify({ status: "UP", path: req.url }));
});
server.listen(Number(process.env.PORT), "127.0.0.1");
process.on("SIGTERM", () => server.close(() => process.exit(0)));
`;

describe("synthetic checks through a real rampart up", () => {
  let failFile: string;
  // Every state change commits with its event; check results and pings are measurements (eventlessTables).
  const rig = platformRig({
    project: async () => {
      const source = mkdtempSync(join(tmpdir(), "rampart-checks-app-"));
      writeFileSync(join(source, "server.mjs"), APP);
      const project = await createTestProject({ instances: 1, source });
      rmSync(source, { recursive: true, force: true });
      failFile = join(project.dir, "fail");
      project.writeManifest(
        [
          `    env: { FAIL_FILE: ${JSON.stringify(failFile)} }`,
          "    routes: [/]",
          "    checks:",
          '      - { name: orders, path: /api/orders, interval: 300ms, conditions: ["status == 200", "body.status == UP", "response_time < 2s"] }',
          "    heartbeats:",
          "      - { name: nightly, every: 1s, grace: 1s }",
        ].join("\n"),
      );
      return project;
    },
    // Lets the test's check run every 300 ms instead of the 10 s minimum, so thresholds play out in seconds.
    upEnv: { RAMPART_CHECK_MIN_INTERVAL: "100ms" },
  });
  const cli = (...args: string[]) => runCli([...args, "--data", rig.project.dataDir], { cwd: rig.project.dir });
  let lastSeen: CheckView[] = [];
  const checks = async () => {
    lastSeen = await rig.up.client.checks({ env: "staging", app: "web" });
    return lastSeen;
  };
  const check = async (name: string): Promise<CheckView | undefined> => (await checks()).find((c) => c.name === name);

  before(() => {
    const deployed = cli("deploy", "web", "--env", "staging", "--wait");
    assert.equal(deployed.code, 0, deployed.stderr);
  });
  after(() => rmSync(rig.project.dir, { recursive: true, force: true }));

  it("checks the health path by default and the custom route; goes failing after 3 failures and recovers after 2", async () => {
    await waitFor(async () => ((await check("orders"))?.state === "ok" ? true : undefined), {
      timeoutMs: 20_000,
      onTimeout: () => new Error(`checks: ${JSON.stringify(lastSeen)}\n${rig.up.output().slice(-2000)}`),
    });
    const health = await waitFor(
      async () => {
        const c = await check("health");
        return c?.state === "ok" ? c : undefined;
      },
      { timeoutMs: 20_000, onTimeout: () => new Error(`checks: ${JSON.stringify(lastSeen)}\n${rig.up.output().slice(-2000)}`) },
    );
    assert.equal(health.origin, "default");
    assert.equal(health.target, `http://127.0.0.1:${rig.project.ports.staging}/healthz`);

    writeFileSync(failFile, "");
    const failing = await waitFor(
      async () => {
        const c = await check("orders");
        return c?.state === "failing" ? c : undefined;
      },
      { timeoutMs: 20_000, onTimeout: () => new Error(`checks: ${JSON.stringify(lastSeen)}\n${rig.up.output().slice(-2000)}`) },
    );
    assert.equal(failing.consecutiveFailures, 3);
    assert.match(failing.lastResult?.message ?? "", /status == 200: got 500; body.status == UP: got "DOWN"/);

    unlinkSync(failFile);
    await waitFor(async () => ((await check("orders"))?.state === "ok" ? true : undefined), {
      timeoutMs: 20_000,
      onTimeout: () => new Error(`checks: ${JSON.stringify(lastSeen)}\n${rig.up.output().slice(-2000)}`),
    });
    const events = (await rig.up.client.events({ type: "check.", limit: 100 })).filter((e) => e.data.name === "orders");
    assert.deepEqual(
      events.map((e) => e.type),
      ["check.failed", "check.recovered"],
    );
    assert.match(events[1]?.message ?? "", /recovered after 2 successes/);

    const listed = cli("checks", "--env", "staging");
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /ENV\s+APP\s+CHECK\s+TARGET\s+STATE\s+LAST RESULT\s+LATENCY\s+SINCE/);
    assert.match(listed.stdout, /staging\s+web\s+orders\s+http:\/\/127\.0\.0\.1:\d+\/api\/orders\s+ok/);
    const json = JSON.parse(cli("checks", "--app", "web", "--json").stdout) as { checks: CheckView[] };
    assert.ok(json.checks.some((c) => c.name === "route-root" && c.origin === "default"));

    const token = readCredentials(rig.project.dataDir)?.token ?? assert.fail("credentials.json");
    const metrics = await (await fetch(`${rig.up.client.baseUrl}/metrics`, { headers: { authorization: `Bearer ${token}` } })).text();
    assert.match(metrics, /rampart_check_results_total\{[^}]*check="orders"[^}]*result="failure"[^}]*\} [3-9]/);
    assert.match(metrics, /rampart_check_up\{[^}]*check="orders"[^}]*\} 1/);
  });

  it("a heartbeat missed fails; a ping recovers it; an undeclared one is a 404 naming the declared ones", async () => {
    const pinged = await rig.up.client.heartbeat("staging", "web", "nightly");
    assert.equal(pinged.state, "ok");
    await waitFor(async () => ((await check("nightly"))?.state === "failing" ? true : undefined), { timeoutMs: 15_000 });
    assert.equal((await rig.up.client.heartbeat("staging", "web", "nightly")).state, "ok");
    const types = (await rig.up.client.events({ type: "check.", limit: 100 })).filter((e) => e.data.name === "nightly").map((e) => e.type);
    assert.deepEqual(types.slice(-2), ["check.failed", "check.recovered"]);
    await assert.rejects(rig.up.client.heartbeat("staging", "web", "weekly"), (error: unknown) => {
      assert.ok(error instanceof Error && "status" in error && error.status === 404, String(error));
      assert.match(error.message, /heartbeat "weekly" of app "web"/);
      return true;
    });
    rig.events.assertNoViolations();
  });

  it("a heartbeat's ping URL reports it in with no API token; a forged, altered or another heartbeat's URL is refused", async () => {
    const printed = cli("checks", "heartbeat-url", "web", "nightly", "--env", "staging");
    assert.equal(printed.code, 0, printed.stderr);
    const url = printed.stdout.split("\n")[0] ?? "";
    assert.match(url, /\/api\/v1\/heartbeats\/staging\/web\/nightly\/hb_[A-Za-z0-9_-]{43}$/);
    assert.match(printed.stdout, /curl -fsS -X POST --retry 3 '/);
    const token = url.slice(url.lastIndexOf("/") + 1);
    const post = (target: string) => fetch(target, { method: "POST" });
    const ok = await post(url);
    assert.equal(ok.status, 200, await ok.clone().text());
    assert.equal(((await ok.json()) as CheckView).state, "ok");
    const refused: string[] = [];
    for (const target of [
      url.replace(/hb_.(.*)$/, (_m, rest: string) => `hb_${token[3] === "A" ? "B" : "A"}${rest}`), // one character changed
      url.replace("/nightly/", "/weekly/"), // another heartbeat's name, this one's token
      url.replace("/staging/", "/production/"),
      url.replace(/hb_.*$/, "hb_short"),
    ]) {
      const answer = await post(target);
      const body = await answer.text();
      assert.equal(answer.status, 403, `${target}: ${body}`);
      assert.match(body, /heartbeat_url_invalid/);
      assert.match(body, /rampart checks heartbeat-url APP NAME --env ENV/);
      refused.push(body);
    }
    const oversized = await post(url.replace(/hb_.*$/, `hb_${"x".repeat(2000)}`));
    assert.ok(oversized.status >= 400 && oversized.status < 500, `an oversized token is a 4xx, not ${oversized.status}`);
    assert.match(await oversized.text(), /url_too_long/);
    // The token is a credential: it is in no answer but the one that hands it out, no event and no log.
    const events = JSON.stringify(await rig.up.client.events({ limit: 1000 }));
    assert.match(events, /heartbeat:nightly/, "the ping is recorded under the heartbeat");
    assert.deepEqual(secretHits([token], [events, ...refused, ...fileTexts(filesUnder(join(rig.project.dataDir, "logs")))]), []);
    rig.events.assertNoViolations();
  });
});
