import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { type FakeIdentityApi, startFakeIdentityApi } from "../testing/fake-identity-api.ts";
import { selfSignedCert } from "../testing/self-signed.ts";

const CLI = fileURLToPath(new URL("./main.ts", import.meta.url));
const PASSWORD = "correct horse battery staple";

describe("rampart login, logout and context against an API of the identity contract over HTTPS", () => {
  let api: FakeIdentityApi;
  let config: string;
  let elsewhere: string;
  let cert: { certFile: string; keyFile: string };
  const outputs: string[] = [];

  /** The CLI from a directory outside any project, with its own config dir; every output kept for the scan. */
  // Asynchronous: the fake API answers from this same process.
  const rampart = async (args: string[], options: { input?: string; env?: Record<string, string> } = {}) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: elsewhere,
      env: { ...process.env, XDG_CONFIG_HOME: config, RAMPART_API: "", RAMPART_TOKEN: "", RAMPART_CA_FILE: "", ...options.env },
      timeout: 60_000,
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.stdin.end(options.input ?? "");
    const [code] = (await once(child, "close")) as [number | null];
    outputs.push(stdout, stderr);
    return { code, stdout, stderr };
  };

  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), "rampart-login-"));
    cert = selfSignedCert(dir, "api");
    api = await startFakeIdentityApi(cert, { alice: PASSWORD });
    config = join(dir, "config");
    elsewhere = mkdtempSync(join(tmpdir(), "rampart-laptop-"));
  });
  after(async () => {
    await api.close();
  });

  it("refuses an untrusted certificate before sending the password", async () => {
    const result = await rampart(["login", api.url, "--user", "alice", "--password-stdin"], { input: PASSWORD });
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /does not trust/);
    assert.match(result.stderr, /hint: .*--ca FILE/);
    assert.equal(api.tokens.size, 0);
  });

  it("refuses a wrong password with the API's message and stores nothing", async () => {
    const result = await rampart(["login", api.url, "--user", "alice", "--password-stdin", "--ca", cert.certFile], { input: "wrong" });
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /wrong user name or password/);
    assert.throws(() => statSync(join(config, "rampart", "contexts.json")));
  });

  it("logs in with a password from stdin and keeps the session in a 0600 file in a 0700 folder", async () => {
    const result = await rampart(["login", api.url, "--user", "alice", "--password-stdin", "--ca", cert.certFile, "--name", "prod"], {
      input: `${PASSWORD}\n`,
    });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /logged in to https:\/\/127\.0\.0\.1:\d+ as alice; context prod is current/);
    const file = join(config, "rampart", "contexts.json");
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(statSync(join(config, "rampart")).mode & 0o777, 0o700);
    const stored = JSON.parse(readFileSync(file, "utf8"));
    assert.equal(stored.current, "prod");
    assert.equal(stored.contexts[0].user, "alice");
    assert.ok(api.tokens.has(stored.contexts[0].token));
  });

  it("uses the current context from any directory, with its stored CA", async () => {
    const result = await rampart(["events", "--json"]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(api.tokens.get(api.seen.at(-1) ?? ""), "alice");
  });

  it("adds a token context, lists both without tokens, and switches", async () => {
    const token = `rampart_svc_${"c".repeat(43)}`;
    api.tokens.set(token, "svc:ci");
    const added = await rampart(["login", api.url, "--token-stdin", "--name", "ci", "--ca", cert.certFile], { input: token });
    assert.equal(added.code, 0, added.stderr);
    assert.match(added.stdout, /as svc:ci; context ci is current/);

    const table = await rampart(["context", "list"]);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^\*\s+ci\s+https:\/\/127\.0\.0\.1:\d+\s+svc:ci\s+token/m);
    assert.match(table.stdout, /^\s+prod\s+https:\/\/127\.0\.0\.1:\d+\s+alice\s+session/m);
    const json = JSON.parse((await rampart(["context", "list", "--json"])).stdout);
    assert.equal(json.current, "ci");
    assert.deepEqual(
      json.contexts.map((c: { name: string; current: boolean }) => [c.name, c.current]),
      [
        ["prod", false],
        ["ci", true],
      ],
    );

    await rampart(["events", "--json"]);
    assert.equal(api.seen.at(-1), token);
    const used = await rampart(["context", "use", "prod"]);
    assert.equal(used.code, 0, used.stderr);
    await rampart(["events", "--json"]);
    assert.equal(api.tokens.get(api.seen.at(-1) ?? ""), "alice");

    const unknown = await rampart(["context", "use", "staging"]);
    assert.notEqual(unknown.code, 0);
    assert.match(unknown.stderr, /no context named "staging"; contexts: prod, ci/);
    assert.match(unknown.stderr, /hint: rampart context list/);
  });

  it("lets RAMPART_API and RAMPART_TOKEN win over the current context", async () => {
    const other = `rampart_pat_${"d".repeat(43)}`;
    api.tokens.set(other, "bob");
    const result = await rampart(["events", "--json"], {
      env: { RAMPART_API: api.url, RAMPART_TOKEN: other, RAMPART_CA_FILE: cert.certFile },
    });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(api.seen.at(-1), other);
  });

  it("logs out: ends the session on the API and forgets the context; a token context is only forgotten", async () => {
    const session = JSON.parse(readFileSync(join(config, "rampart", "contexts.json"), "utf8")).contexts.find(
      (c: { name: string }) => c.name === "prod",
    ).token;
    const result = await rampart(["logout"]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /logged out of https:\/\/127\.0\.0\.1:\d+; context prod removed/);
    assert.deepEqual(api.loggedOut, [session]);
    assert.equal(api.tokens.has(session), false);

    const again = await rampart(["logout"]);
    assert.notEqual(again.code, 0);
    assert.match(again.stderr, /no context is current/);
    const ci = await rampart(["logout", "--name", "ci"]);
    assert.equal(ci.code, 0, ci.stderr);
    assert.equal(api.loggedOut.length, 1, "a token is not a session: it is revoked with rampart token revoke, not logout");
    const none = await rampart(["events", "--json"]);
    assert.notEqual(none.code, 0);
    assert.match(none.stderr, /rampart login/);
  });

  it("never printed a token, session id or password", () => {
    const secrets = [PASSWORD, ...api.tokens.keys(), ...api.loggedOut];
    for (const secret of secrets) for (const output of outputs) assert.ok(!output.includes(secret), "a secret was printed");
  });
});
