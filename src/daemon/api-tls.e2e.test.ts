import assert from "node:assert/strict";
import { appendFileSync, copyFileSync, mkdtempSync, readFileSync, renameSync } from "node:fs";
import { tmpdir } from "node:os";
import { request as httpRequest } from "node:http";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { after, before, describe, it } from "node:test";
import { connect } from "node:tls";
import { fileURLToPath } from "node:url";
import { ApiClient, ApiError } from "../client/api-client.ts";
import { credentialsSchema } from "./credentials.ts";
import { killPlatform, runCli, startRampartUp, type RampartUp } from "../testing/rampart-process.ts";
import { selfSignedCert } from "../testing/self-signed.ts";
import { createTestProject, type TestProject } from "../testing/test-project.ts";
import { waitFor } from "../shared/wait.ts";
import { requestOn, servedName } from "../testing/tls-probe.ts";

const CLI = fileURLToPath(new URL("../cli/main.ts", import.meta.url));

describe("the API over TLS from rampart.yaml's api.tls", () => {
  let project: TestProject;
  let up: RampartUp;
  let port = 0;
  let first: { certFile: string; keyFile: string };
  let second: { certFile: string; keyFile: string };
  let live: { certFile: string; keyFile: string };

  before(async () => {
    project = await createTestProject({ instances: 1 });
    first = selfSignedCert(project.dir, "first");
    second = selfSignedCert(project.dir, "second");
    live = { certFile: join(project.dir, "api.crt"), keyFile: join(project.dir, "api.key") };
    copyFileSync(first.certFile, live.certFile);
    copyFileSync(first.keyFile, live.keyFile);
    appendFileSync(project.manifestPath, '\napi: { listen: "127.0.0.1:0", tls: { cert: ./api.crt, key: ./api.key } }\n');
    // No --api: the address and the certificate come from rampart.yaml.
    up = await startRampartUp({
      ...project,
      command: { argv: [process.execPath, CLI, "up", "--config", project.manifestPath, "--data", project.dataDir], cwd: null },
    });
    port = Number(new URL(up.client.baseUrl).port);
  });
  after(async () => {
    await killPlatform(project.dataDir, up);
  });

  it("records the https URL and the certificate file in the credentials file; the local CLI trusts it", () => {
    const credentials = credentialsSchema.parse(JSON.parse(readFileSync(join(project.dataDir, "credentials.json"), "utf8")));
    assert.match(credentials.api, /^https:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(credentials.certFile, live.certFile);
    const result = runCli(["events", "--json", "--data", project.dataDir], { env: { RAMPART_API: "", RAMPART_TOKEN: "" } });
    assert.equal(result.code, 0, result.stderr);
    assert.doesNotThrow(() => JSON.parse(result.stdout));
  });

  it("refuses an untrusted certificate with a clear error, and trusts it with --ca / RAMPART_CA_FILE", async () => {
    const token = credentialsSchema.parse(JSON.parse(readFileSync(join(project.dataDir, "credentials.json"), "utf8"))).token;
    const untrusting = new ApiClient({ baseUrl: `https://127.0.0.1:${port}`, token });
    await assert.rejects(untrusting.status(), (error: unknown) => error instanceof ApiError && error.code === "untrusted_certificate");
    const trusting = new ApiClient({ baseUrl: `https://127.0.0.1:${port}`, token, tls: { ca: readFileSync(first.certFile, "utf8") } });
    assert.equal((await trusting.health()).ok, true);

    // Outside the project (no data dir found), as from a laptop.
    const elsewhere = mkdtempSync(join(tmpdir(), "rampart-elsewhere-"));
    const env = { RAMPART_API: `https://127.0.0.1:${port}`, RAMPART_TOKEN: token, XDG_CONFIG_HOME: elsewhere };
    const refused = runCli(["events", "--json"], { env, cwd: elsewhere });
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /TLS certificate this CLI does not trust/);
    assert.match(refused.stderr, /hint: .*--ca FILE/);
    assert.ok(!refused.stderr.includes(token), "the token is never printed");
    const withFlag = runCli(["--ca", first.certFile, "events", "--json"], { env, cwd: elsewhere });
    assert.equal(withFlag.code, 0, withFlag.stderr);
    const withEnv = runCli(["events", "--json"], { env: { ...env, RAMPART_CA_FILE: first.certFile }, cwd: elsewhere });
    assert.equal(withEnv.code, 0, withEnv.stderr);
  });

  it("rampart login URL --token-stdin --ca keeps a context that works from any directory", async () => {
    const token = credentialsSchema.parse(JSON.parse(readFileSync(join(project.dataDir, "credentials.json"), "utf8"))).token;
    const laptop = mkdtempSync(join(tmpdir(), "rampart-laptop-"));
    const env = { ...process.env, XDG_CONFIG_HOME: laptop, RAMPART_API: "", RAMPART_TOKEN: "", RAMPART_CA_FILE: "" };
    const login = spawnSync(
      process.execPath,
      [CLI, "login", `127.0.0.1:${port}`, "--token-stdin", "--ca", first.certFile, "--name", "lab"],
      {
        cwd: laptop,
        env,
        input: token,
        encoding: "utf8",
      },
    );
    assert.equal(login.status, 0, login.stderr);
    assert.match(login.stdout, new RegExp(`logged in to https://127\\.0\\.0\\.1:${port}.*context lab is current`));
    const events = spawnSync(process.execPath, [CLI, "events", "--json"], { cwd: laptop, env, encoding: "utf8" });
    assert.equal(events.status, 0, events.stderr);
    const list = spawnSync(process.execPath, [CLI, "context", "list"], { cwd: laptop, env, encoding: "utf8" });
    assert.match(list.stdout, /^\*\s+lab\s+https:/m);
    for (const output of [login.stdout, login.stderr, events.stderr, list.stdout, list.stderr])
      assert.ok(!output.includes(token), "the token is never printed");
  });

  it("answers plain HTTP on the TLS port with a 400 that says to use https://", async () => {
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest({ host: "127.0.0.1", port, path: "/api/v1/health" }, (res) => {
        let body = "";
        res.on("data", (d: Buffer) => (body += d.toString()));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on("error", reject);
      req.end();
    });
    assert.equal(answer.status, 400);
    assert.match(answer.body, /use https:\/\//);
  });

  it("serves a new certificate once its files change, without dropping an open connection", async (t) => {
    assert.equal(await servedName(port), "first");
    const open = connect({ port, host: "127.0.0.1", ca: readFileSync(first.certFile), servername: "localhost" });
    await new Promise<void>((resolve, reject) => open.once("secureConnect", resolve).once("error", reject));
    assert.match(await requestOn(open, "/api/v1/health"), /^200 /);

    // Rotated as certbot and friends do: each file replaced by a rename.
    copyFileSync(second.keyFile, `${live.keyFile}.new`);
    copyFileSync(second.certFile, `${live.certFile}.new`);
    renameSync(`${live.keyFile}.new`, live.keyFile);
    renameSync(`${live.certFile}.new`, live.certFile);
    const startedAt = Date.now();
    await waitFor(async () => ((await servedName(port)) === "second" ? true : undefined), { timeoutMs: 10_000 });
    const ms = Date.now() - startedAt;
    t.diagnostic(`new certificate served ${ms} ms after the rename`);
    assert.ok(ms < 3_000, `the new certificate was served after ${ms} ms`);

    // The connection opened before the rotation keeps its session and is served.
    assert.match(await requestOn(open, "/api/v1/health"), /^200 /);
    open.destroy();
    // The local CLI re-reads the certificate it pins, so it keeps working after the rotation.
    const result = runCli(["events", "--json", "--data", project.dataDir], { env: { RAMPART_API: "", RAMPART_TOKEN: "" } });
    assert.equal(result.code, 0, result.stderr);
  });
});

describe("the API beyond loopback without TLS", () => {
  let project: TestProject;
  before(async () => {
    project = await createTestProject({ instances: 1 });
  });

  it("is refused with a message that names the fixes, before anything starts", () => {
    const result = runCli(["up", "--config", project.manifestPath, "--data", project.dataDir, "--api", "0.0.0.0:0"]);
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /refusing to serve the API on 0\.0\.0\.0:0 without TLS/);
    assert.match(result.stderr, /hint: .*api: \{ tls: \{ cert: FILE, key: FILE \} \}.*--api 127\.0\.0\.1.*api\.insecure: true/);
  });

  it("listens on every address with api.insecure: true", async () => {
    appendFileSync(project.manifestPath, "\napi: { insecure: true }\n");
    const up = await startRampartUp({
      ...project,
      command: {
        argv: [process.execPath, CLI, "up", "--config", project.manifestPath, "--data", project.dataDir, "--api", "0.0.0.0:0"],
        cwd: null,
      },
    });
    try {
      assert.match(up.client.baseUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.equal((await up.client.health()).ok, true);
    } finally {
      await killPlatform(project.dataDir, up);
    }
  });
});
