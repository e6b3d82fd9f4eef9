import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import type { ApiClient } from "../client/api-client.ts";
import { waitForRelease } from "../releases/release-wait.ts";
import { auditEvents } from "../testing/event-audit.ts";
import { killPlatform, runCli, startRampartUp, type RampartUp } from "../testing/rampart-process.ts";
import { startSteadyLoad } from "../testing/steady-load.ts";
import { createTestProject, type TestProject } from "../testing/test-project.ts";
import { waitFor } from "../shared/wait.ts";

const CLI = fileURLToPath(new URL("../cli/main.ts", import.meta.url));

/** The CLI as a child process that does not block this one, so the load generator keeps its schedule meanwhile. */
function cliAsync(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, RAMPART_API: "", RAMPART_TOKEN: "" } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** What must come back after a restore: releases, flags, users and secrets (by version and by value). */
async function stateOf(client: ApiClient) {
  const releases = (await client.releases("staging", "web")).map((r) => ({
    number: r.number,
    status: r.status,
    artifact: r.artifact,
    secrets: r.config.secretVersions,
  }));
  const flags = (await client.flags("staging")).map((f) => ({ key: f.key, type: f.type }));
  const users = (await client.users()).map((u) => u.name).sort();
  const secrets = (await client.secrets("staging", "web")).map((s) => ({ name: s.name, version: s.version }));
  const value = (await client.revealSecret("staging", "web", "API_TOKEN")).value;
  return { releases, flags, users, secrets, value };
}

describe("backup and restore drill: backed up under load, restored into a new data dir, the same state and a chain that verifies", () => {
  let project: TestProject;
  let up: RampartUp;
  let restored: RampartUp | undefined;
  let restoredDir: string;
  const audit = () => auditEvents(join(project.dir, "event-audit.jsonl"));
  let events: ReturnType<typeof auditEvents>;
  const edge = (path = "/") => `http://127.0.0.1:${project.ports.staging}${path}`;

  before(async () => {
    project = await createTestProject({ instances: 2, appYaml: "    secrets: [API_TOKEN]" });
    restoredDir = join(project.dir, "restored-data");
    events = audit();
    up = await startRampartUp({ manifestPath: project.manifestPath, dataDir: project.dataDir });
  });
  after(async () => {
    if (restored) await killPlatform(restoredDir, restored);
    await killPlatform(project.dataDir, up);
    events.off();
  });

  it("backs up under load (a deploy and requests going on) and restores into a new data dir that comes up the same", async (t) => {
    const { client } = up;
    await client.setSecret("staging", "web", "API_TOKEN", "tok-before-backup a/b+c");
    await waitForRelease(client, await client.deploy("staging", "web"), 90_000);
    await client.createFlag({ key: "new-checkout" });
    await client.addUser({ name: "ada", password: "correct horse battery" });

    const load = startSteadyLoad(edge("/"), { ratePerSecond: 40, maxMs: 120_000 });
    project.touchSource("v2");
    const deploying = client.deploy("staging", "web");
    const file = join(project.dir, "backup.tar.gz");
    const t0 = Date.now();
    const backup = await cliAsync(["backup", "--to", file, "--json", "--data", project.dataDir]);
    const backupMs = Date.now() - t0;
    assert.equal(backup.code, 0, backup.stderr);
    const taken = JSON.parse(backup.stdout) as {
      name: string;
      bytes: number;
      files: number;
      lastEventId: number;
      downloadedTo: string;
      durationMs: number;
    };
    assert.equal(taken.downloadedTo, file);
    assert.equal(statSync(file).size, taken.bytes);
    await waitForRelease(client, await deploying, 90_000);
    const result = await load.stop();
    t.diagnostic(
      `backup under load: CLI ${backupMs} ms (control plane ${taken.durationMs} ms), ${taken.bytes} bytes, ${taken.files} files; load ${result.ok} ok, ${result.failed} failed`,
    );
    assert.equal(result.failed, 0, JSON.stringify(result.failureKinds));
    const created = (await client.events({ limit: 1000 })).filter((e) => e.type === "backup.created");
    assert.equal(created.length, 1);
    assert.equal(created[0]?.actor, "local");

    // The state as the backup holds it: releases that existed when it was taken (the deploy may have finished after).
    const before = await stateOf(client);
    await killPlatform(project.dataDir, up);
    events.assertNoViolations();

    // A non-empty data dir is refused; a new one is restored and checked.
    const refusedRestore = runCli(["restore", file, "--data", project.dataDir]);
    assert.equal(refusedRestore.code, 1);
    assert.match(refusedRestore.stderr, /not empty[\s\S]*hint: restore into a new dir/);
    const restore = runCli(["restore", file, "--data", restoredDir, "--json"]);
    assert.equal(restore.code, 0, restore.stderr);
    assert.equal((JSON.parse(restore.stdout) as { lastEventId: number }).lastEventId, taken.lastEventId);
    assert.equal(existsSync(join(restoredDir, "credentials.json")), false);
    assert.ok(readdirSync(join(restoredDir, "artifacts")).length >= 1);

    restored = await startRampartUp({ manifestPath: project.manifestPath, dataDir: restoredDir });
    const after = await stateOf(restored.client);
    // Releases up to the backup are the same; the one deploying during it may have been caught mid-rollout.
    for (const release of after.releases) {
      const original = before.releases.find((r) => r.number === release.number);
      assert.ok(original, `release ${release.number} came back but never existed`);
      assert.equal(release.artifact, original.artifact);
      assert.deepEqual(release.secrets, original.secrets);
    }
    assert.ok(after.releases.some((r) => r.number === 1));
    assert.deepEqual(after.flags, before.flags);
    assert.deepEqual(after.users, before.users);
    assert.deepEqual(after.secrets, before.secrets);
    assert.equal(after.value, before.value, "the secret decrypts with the same key");
    // The restored platform serves again from its releases (its instances restarted: the originals are gone).
    const t1 = Date.now();
    const served = await waitFor(async () => ((await fetch(edge("/")).catch(() => null))?.status === 200 ? true : undefined), {
      timeoutMs: 60_000,
      onTimeout: () => new Error(`the restored platform's edge never answered 200:\n${restored?.output()}`),
    });
    assert.equal(served, true);
    t.diagnostic(`restored platform serving ${Date.now() - t1} ms after its API answered`);

    const verify = runCli(["audit", "verify", "--json", "--data", restoredDir]);
    assert.equal(verify.code, 0, verify.stdout + verify.stderr);
    assert.equal((JSON.parse(verify.stdout) as { ok: boolean }).ok, true);
  });
});
