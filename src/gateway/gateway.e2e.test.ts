import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { waitFor } from "../shared/wait.ts";
import { claimsFor, jwksOf, makeKey, signToken } from "../testing/jwt-fixtures.ts";
import { platformRig } from "../testing/platform-rig.ts";
import { fileTexts, filesUnder, secretHits } from "../testing/secret-scan.ts";
import { createTestProject } from "../testing/test-project.ts";

/** An app that answers with the subject the edge passed it (and how often it was called). */
const ECHO_APP = `
import { createServer } from "node:http";
let calls = 0;
createServer((req, res) => {
  if (req.url === "/healthz") return res.end("ok");
  calls++;
  res.setHeader("content-type", "application/json");
  res.end(JSON.stringify({ subject: req.headers["x-rampart-subject"] ?? null, calls }));
}).listen(Number(process.env.PORT), "127.0.0.1");
`;

const ISSUER = "https://id.e2e.example/";

function get(
  port: number,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((ok, fail) => {
    const req = request({ host: "127.0.0.1", port, path, headers, agent: false }, (res) => {
      let body = "";
      res.on("data", (c: Buffer) => (body += c.toString()));
      res.on("end", () => ok({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on("error", fail);
    req.end();
  });
}

describe("gateway on a real platform: rampart.yaml auth, API keys from the CLI, the access log from rampart logs --edge", () => {
  let sourceDir: string;
  const key = makeKey("ES256", "e2e-1");
  const rig = platformRig({
    project: async () => {
      sourceDir = mkdtempSync(join(tmpdir(), "rampart-gateway-app-"));
      writeFileSync(join(sourceDir, "server.mjs"), ECHO_APP);
      const project = await createTestProject({
        instances: 1,
        source: sourceDir,
        appYaml: [
          "    auth:",
          "      jwt: { jwks: ./jwks.json, issuer: https://id.e2e.example/, audience: shop, required_claims: [tenant] }",
          "      api_keys: true",
          "      public: [/healthz, /assets]",
        ].join("\n"),
      });
      writeFileSync(join(project.dir, "jwks.json"), JSON.stringify(jwksOf([key])));
      // The access log is an environment setting: staging keeps one.
      const manifest = readFileSync(project.manifestPath, "utf8").replace(
        /(staging: \{ port: \d+, bind: 127\.0\.0\.1)/,
        "$1, access_log: { max_size: 1mb, keep: 2 }",
      );
      writeFileSync(project.manifestPath, manifest);
      mkdirSync(project.dataDir, { recursive: true });
      return project;
    },
    deploy: { env: "staging", timeoutMs: 90_000 },
  });
  const { cli } = rig;
  const secrets: string[] = [];
  const responses: string[] = [];

  after(() => rmSync(sourceDir, { recursive: true, force: true }));

  it("the edge refuses what the manifest does not let in, passes the verified subject, and takes and drops API keys as the CLI says", async () => {
    const port = rig.project.ports.staging ?? 0;
    const none = await get(port, "/orders");
    assert.equal(none.status, 401);
    assert.equal(none.headers["www-authenticate"], 'Bearer realm="web"');
    assert.equal((await get(port, "/healthz")).status, 200);
    assert.equal((await get(port, "/assets/app.js")).status, 200);

    const token = signToken(key, claimsFor(ISSUER, "shop", { sub: "alice", tenant: "acme" }));
    secrets.push(token);
    const ok = await get(port, "/orders?page=2", { authorization: `Bearer ${token}`, "x-rampart-subject": "root" });
    assert.equal(ok.status, 200, ok.body);
    assert.equal((JSON.parse(ok.body) as { subject: string }).subject, "alice");
    const noTenant = await get(port, "/orders", { authorization: `Bearer ${signToken(key, claimsFor(ISSUER, "shop"))}` });
    assert.equal(noTenant.status, 403);
    assert.match(String(noTenant.headers["www-authenticate"]), /insufficient_scope/);

    const created = cli(["apikeys", "create", "web", "--env", "staging", "--name", "ci", "--json"]);
    assert.equal(created.code, 0, created.stderr);
    const apiKey = (JSON.parse(created.stdout) as { key: string }).key;
    secrets.push(apiKey);
    assert.match(apiKey, /^rk_[A-Za-z0-9_-]{43}$/);
    // The table is pushed when the key is made: the edge takes it at once.
    const viaKey = await waitFor(
      async () => {
        const reply = await get(port, "/orders", { "x-api-key": apiKey });
        return reply.status === 200 ? reply : undefined;
      },
      { timeoutMs: 5_000, onTimeout: () => new Error("the edge did not accept the new API key within 5 s") },
    );
    responses.push(viaKey.body);
    assert.equal((JSON.parse(viaKey.body) as { subject: string }).subject, "apikey:ci");

    const listed = cli(["apikeys", "list", "web", "--env", "staging"]);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /ci\s+active/);
    responses.push(listed.stdout);
    const duplicate = cli(["apikeys", "create", "web", "--env", "staging", "--name", "ci"]);
    assert.notEqual(duplicate.code, 0);
    assert.match(duplicate.stderr, /already has an active API key named ci/);

    const revoked = cli(["apikeys", "revoke", "web", "ci", "--env", "staging"]);
    assert.equal(revoked.code, 0, revoked.stderr);
    // Replay after revoke: refused by the edge (the table without its hash was pushed by the revoke).
    const replay = await waitFor(
      async () => {
        const reply = await get(port, "/orders", { "x-api-key": apiKey });
        return reply.status === 401 ? reply : undefined;
      },
      { timeoutMs: 5_000, onTimeout: () => new Error("the edge still accepted the revoked API key after 5 s") },
    );
    assert.match(replay.body, /unknown or revoked/);
    responses.push(replay.body);

    const recorded = (await rig.up.client.events({ limit: 1000 })).filter((e) => e.type.startsWith("apikey."));
    assert.deepEqual(
      recorded.map((e) => [e.type, e.env, e.app, e.actor]),
      [
        ["apikey.created", "staging", "web", "local"],
        ["apikey.revoked", "staging", "web", "local"],
      ],
    );
    responses.push(JSON.stringify(recorded));
    rig.events.assertNoViolations();
  });

  it("rampart logs --edge shows the requests, with subject and status, and never a token, key or query string", async () => {
    const lines = await waitFor(
      () => {
        const out = cli(["logs", "--edge", "--env", "staging", "--json"]);
        if (out.code !== 0) throw new Error(out.stderr);
        const entries = (JSON.parse(out.stdout) as { entries: { path: string; status: number; subject: string | null }[] }).entries;
        return entries.some((e) => e.subject === "apikey:ci") && entries.some((e) => e.status === 401) ? out.stdout : undefined;
      },
      { timeoutMs: 10_000, intervalMs: 500, onTimeout: () => new Error("rampart logs --edge did not show the requests within 10 s") },
    );
    assert.match(lines, /"subject": ?"alice"/);
    assert.doesNotMatch(lines, /page=2/);
    const human = cli(["logs", "--edge", "--env", "staging", "--grep", "alice"]);
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, /GET \S+\/orders 200 .* sub=alice/);
    responses.push(lines, human.stdout);
    // Neither the key nor the token is anywhere in the data dir (database, events, audit, edge logs), or in an answer.
    assert.deepEqual(secretHits(secrets, [...fileTexts(filesUnder(rig.project.dataDir)), ...responses]), []);
  });
});
