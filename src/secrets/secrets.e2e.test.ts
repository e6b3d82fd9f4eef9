import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import { ApiError, type ApiClient } from "../client/api-client.ts";
import { waitForRelease } from "../releases/release-wait.ts";
import type { ReleaseView } from "../releases/release.types.ts";
import { platformRig } from "../testing/platform-rig.ts";
import { runCli } from "../testing/rampart-process.ts";
import { startSteadyLoad } from "../testing/steady-load.ts";
import { createTestProject } from "../testing/test-project.ts";
import { waitFor } from "../shared/wait.ts";
import { plaintextHits } from "./secret-scan.fixture.ts";

const CLI = fileURLToPath(new URL("../cli/main.ts", import.meta.url));

/** An app that prints its secret every way it can; the log pipeline must redact each before it is stored. */
const LEAKY_APP = `
import { createServer } from "node:http";
import { createHash } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
const dir = process.env.RAMPART_SECRETS_DIR;
const value = dir ? readFileSync(dir + "/API_TOKEN", "utf8") : (process.env.API_TOKEN ?? "");
const hash = createHash("sha256").update(value).digest("hex");
if (value.startsWith("bad-")) { console.error("refusing to start: API_TOKEN is not valid"); process.exit(1); }
console.log("plain " + value);
console.error("stderr " + value);
console.log("base64 " + Buffer.from(value).toString("base64"));
console.log("url " + encodeURIComponent(value));
console.log(JSON.stringify({ token: value }));
process.stdout.write("split " + value.slice(0, 7));
process.stdout.write(value.slice(7) + " joined\\n");
const server = createServer((req, res) => {
  if (req.url === "/healthz") return res.end("ok");
  if (req.url === "/leak") { console.log("request body leak " + value); return res.end(value); }
  const files = dir ? { dir, dirMode: (statSync(dir).mode & 0o777).toString(8), fileMode: (statSync(dir + "/API_TOKEN").mode & 0o777).toString(8) } : null;
  res.setHeader("content-type", "application/json");
  res.end(JSON.stringify({ release: process.env.RAMPART_RELEASE, hash, files, inEnv: process.env.API_TOKEN !== undefined }));
});
server.listen(Number(process.env.PORT), "127.0.0.1");
process.on("SIGTERM", () => server.close(() => process.exit(0)));
`;

const sha = (v: string) => createHash("sha256").update(v).digest("hex");
/** Spaces and URL-special characters, so the encoded forms differ from the value. */
const newValue = () => `tok-${randomBytes(12).toString("hex")} a/b+c&d=`;
function cli(args: string[], dataDir: string, input?: string) {
  const r = spawnSync(process.execPath, [CLI, ...args, "--data", dataDir], { encoding: "utf8", input, timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("secrets end to end: set, refused deploy, injected, rotated under load, rolled back, never shown", () => {
  let client: ApiClient;
  let keyFile: string;
  const rig = platformRig({
    project: async () => {
      const project = await createTestProject({ instances: 2, appYaml: "    secrets: [API_TOKEN]" });
      writeFileSync(join(project.dir, "web", "server.mjs"), LEAKY_APP);
      keyFile = join(project.dir, "keys", "secrets.key");
      // Inherited by rampart up: never the developer's own ~/.config/rampart/secrets.key.
      process.env.RAMPART_SECRETS_KEY_FILE = keyFile;
      return project;
    },
  });
  const v1 = newValue();
  const v2 = newValue();
  /** A value the app refuses: its release must fail while the old one keeps serving. */
  const bad = `bad-${newValue()}`;
  /** Every API answer fetched (but reveal's), scanned at the end. */
  const answers: string[] = [];
  const keep = async <T>(p: Promise<T>): Promise<T> => {
    const value = await p;
    answers.push(JSON.stringify(value));
    return value;
  };
  const edge = (path = "/") => `http://127.0.0.1:${rig.project.ports.staging}${path}`;
  const get = async (path = "/") => {
    const text = await (await fetch(edge(path))).text();
    answers.push(text);
    return JSON.parse(text) as {
      release: string;
      hash: string;
      inEnv: boolean;
      files: { dir: string; dirMode: string; fileMode: string } | null;
    };
  };
  const live = async (release: ReleaseView) => keep(waitForRelease(client, release, 90_000));

  before(() => {
    client = rig.up.client;
  });
  after(() => {
    if (existsSync(`${keyFile}.away`)) renameSync(`${keyFile}.away`, keyFile);
    delete process.env.RAMPART_SECRETS_KEY_FILE;
  });

  it("refuses a deploy missing a declared secret, with the command to set it", async () => {
    const error = await client.deploy("staging", "web").catch((e: unknown) => e);
    assert.ok(error instanceof ApiError, String(error));
    assert.equal(error.code, "secret_missing");
    assert.match(error.message, /API_TOKEN/);
    assert.match(error.hint, /rampart secrets set web API_TOKEN --env staging/);
  });

  it("refuses a value on the command line, takes it from standard input", () => {
    const refused = runCli(["secrets", "set", "web", "API_TOKEN", "oops-in-argv", "--env", "staging", "--data", rig.project.dataDir]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /command line/);
    const set = cli(["secrets", "set", "web", "API_TOKEN", "--env", "staging"], rig.project.dataDir, `${v1}\n`);
    assert.equal(set.code, 0, set.stderr);
    assert.match(set.stdout, /version 1.*no live release/);
    assert.equal(statSync(keyFile).mode & 0o777, 0o600);
  });

  it("injects the secret as an environment variable, never in any process's argv, no spec file left behind", async () => {
    const release = await keep(client.deploy("staging", "web"));
    assert.deepEqual(release.config.secretVersions, { API_TOKEN: 1 });
    const ready = await live(release);
    const answer = await get();
    assert.equal(answer.hash, sha(v1));
    assert.equal(answer.inEnv, true);
    for (const pid of readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
      let cmdline: Buffer;
      try {
        cmdline = readFileSync(`/proc/${pid}/cmdline`);
      } catch {
        continue;
      }
      assert.equal(cmdline.includes(v1), false, `process ${pid}'s argv holds the secret`);
    }
    for (const instance of ready.instances) {
      assert.equal(existsSync(join(rig.project.dataDir, "instances", instance.id, "runner-spec.json")), false);
    }
    await fetch(edge("/leak")).then((r) => r.text()); // a response body through the edge, which the app also logs
  });

  it("a changed secret is release N+1, rolled out under load with no failed request; a bad value never takes traffic; rollback brings the old value back", async (t) => {
    const load = startSteadyLoad(edge("/"), { ratePerSecond: 40, maxMs: 120_000 });
    const t0 = Date.now();
    const change = await keep(client.setSecret("staging", "web", "API_TOKEN", v2));
    assert.equal(change.secret.version, 2);
    assert.ok(change.release);
    assert.deepEqual(change.release.config.secretVersions, { API_TOKEN: 2 });
    await live(change.release);
    const setToLiveMs = Date.now() - t0;
    t.diagnostic(`set→live (rolling, 2 instances): ${setToLiveMs} ms`);
    assert.equal((await get()).hash, sha(v2));
    // A bad value: its release never takes traffic, the previous one keeps serving.
    const broken = await keep(client.setSecret("staging", "web", "API_TOKEN", bad));
    assert.ok(broken.release);
    await assert.rejects(
      waitForRelease(client, broken.release, 90_000),
      /release 3 failed[\s\S]*refusing to start: API_TOKEN is not valid/,
    );
    assert.equal((await get()).hash, sha(v2));
    // Fixed by setting a good value again (version 4, the same value as version 2).
    const fixed = await keep(client.setSecret("staging", "web", "API_TOKEN", v2));
    assert.ok(fixed.release);
    await live(fixed.release);
    const back = await keep(client.rollback("staging", "web", { to: 1 }));
    assert.deepEqual(back.config.secretVersions, { API_TOKEN: 1 });
    await live(back);
    assert.equal((await get()).hash, sha(v1));
    const result = await load.stop();
    assert.equal(result.failed, 0, JSON.stringify(result.failureKinds));
    assert.ok(result.ok > 0);
  });

  it("lists, shows history, diffs environments and reveals (recorded)", async () => {
    const list = await keep(client.secrets("staging", "web"));
    assert.deepEqual(
      list.map((s) => [s.name, s.version, s.required]),
      [["API_TOKEN", 4, true]],
    );
    assert.deepEqual(
      (await keep(client.secretHistory("staging", "web", "API_TOKEN"))).map((v) => v.version),
      [4, 3, 2, 1],
    );
    const diff = await keep(client.secretsDiff("staging", "production"));
    assert.deepEqual(diff.entries, [{ app: "web", name: "API_TOKEN", a: 4, b: null }]);
    const revealed = await client.revealSecret("staging", "web", "API_TOKEN");
    assert.equal(revealed.value, v2);
    const recorded = await keep(client.events({ type: "secret.revealed" }));
    assert.equal(recorded.length, 1);
  });

  it("rotates the key-encryption key; values still open", async () => {
    const before = readFileSync(keyFile, "utf8");
    const rotated = cli(["secrets", "rotate-key"], rig.project.dataDir);
    assert.equal(rotated.code, 0, rotated.stderr);
    assert.notEqual(readFileSync(keyFile, "utf8"), before);
    assert.equal(existsSync(`${keyFile}.previous`), false);
    assert.equal((await client.revealSecret("staging", "web", "API_TOKEN", 1)).value, v1);
  });

  it("injects as 0400 files in a 0700 directory outside the data dir when the manifest asks", async () => {
    rig.project.writeManifest("    secrets: [API_TOKEN]\n    secrets_as_files: true");
    await live(await keep(client.deploy("staging", "web")));
    const answer = await get();
    assert.equal(answer.hash, sha(v2));
    assert.equal(answer.inEnv, false);
    assert.deepEqual([answer.files?.dirMode, answer.files?.fileMode], ["700", "400"]);
    assert.equal(answer.files?.dir.startsWith(rig.project.dataDir), false);
  });

  it("a lost key: a clear error naming what cannot be decrypted; no deploy, no restart without the values", async () => {
    renameSync(keyFile, `${keyFile}.away`);
    const reveal = cli(["secrets", "reveal", "web", "API_TOKEN", "--env", "staging"], rig.project.dataDir);
    assert.equal(reveal.code, 1);
    assert.match(reveal.stderr, /cannot decrypt the secrets of staging.*no key at/);
    assert.match(reveal.stderr, /restore the key file/);
    const deploy = await client.deploy("staging", "web").catch((e: unknown) => e);
    assert.ok(deploy instanceof ApiError && deploy.code === "secret_undecryptable", String(deploy));
    assert.match(deploy.message, /web's API_TOKEN/);
    // An instance that dies is not restarted without its values: its restart fails, naming why.
    const victim = (await client.releases("staging", "web")).find((r) => r.status === "live")?.instances.find((i) => i.pid !== null);
    assert.ok(victim?.pid);
    process.kill(victim.pid, "SIGKILL");
    await waitFor(
      async () => {
        const releases = await client.releases("staging", "web");
        const instance = releases.flatMap((r) => r.instances).find((i) => i.id === victim.id);
        return instance?.lastExit?.includes("cannot decrypt") ? true : undefined;
      },
      { timeoutMs: 20_000, onTimeout: () => new Error("the restart did not fail on the missing key") },
    );
    renameSync(`${keyFile}.away`, keyFile);
  });

  it("never shows a value: 0 hits in logs, events, API answers, the control plane's output and every data-dir file", async () => {
    const logs = await client.logs("staging", "web", { limit: 10_000 });
    assert.ok(
      logs.some((l) => l.text.includes("[redacted:API_TOKEN]")),
      "the app's output was not captured",
    );
    const texts = [JSON.stringify(logs), JSON.stringify(await client.events({ limit: 10_000 })), ...answers, rig.up.output()];
    assert.deepEqual(plaintextHits([v1, v2, bad], texts, rig.project.dataDir), []);
    rig.events.assertNoViolations();
  });
});
