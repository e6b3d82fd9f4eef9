import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { pathToFileURL } from "node:url";
import { waitFor } from "../shared/wait.ts";
import { waitForRelease } from "../releases/release-wait.ts";
import { startLoad } from "../testing/load-generator.ts";
import { killPlatform, runCli, startRampartUp, type RampartUp } from "../testing/rampart-process.ts";
import { createTestProject, type TestProject } from "../testing/test-project.ts";

const SDK = pathToFileURL(join(import.meta.dirname, "../../packages/sdk/src/index.ts")).href;

/**
 * An app using the real SDK: each request is another user, `reco` decides old or new, the scope writes the
 * x-rampart-flags header the edge reads. The new code path fails FEATURE_ERRORS (30 %) of its requests.
 */
const APP = `
import { createServer } from "node:http";
import { FlagsClient } from ${JSON.stringify(SDK)};
const flags = new FlagsClient({ url: process.env.FLAGS_API, sdkToken: process.env.FLAGS_TOKEN, metricsIntervalMs: 0 });
await flags.ready(15000).catch((e) => console.error("flags not ready:", e.message));
let n = 0;
const server = createServer((req, res) => {
  if (req.url === "/healthz") return res.end("ok");
  const scope = flags.scope({ userId: "u" + (n++) });
  const on = scope.boolean(process.env.FLAG ?? "reco", false);
  scope.apply(res);
  if (on && Math.random() < Number(process.env.FEATURE_ERRORS ?? 0.3)) { res.statusCode = 500; return res.end("new reco broke"); }
  res.end(on ? "new" : "old");
});
server.listen(Number(process.env.PORT), "127.0.0.1");
process.on("SIGTERM", () => server.close(() => process.exit(0)));
`;

describe("a guarded flag rollout judged on the edge's per-variant metrics, through a real `rampart up`", () => {
  let project: TestProject;
  let up: RampartUp;
  let appEnv = "";
  const cli = (...args: string[]) => runCli([...args, "--data", project.dataDir]);

  before(async () => {
    const source = mkdtempSync(join(tmpdir(), "rampart-flag-app-"));
    writeFileSync(join(source, "server.mjs"), APP);
    project = await createTestProject({ instances: 1, source, run: `${process.execPath} server.mjs` });
    up = await startRampartUp(project);
    assert.equal(cli("flags", "create", "reco").code, 0);
    const token = cli("flags", "token", "--env", "staging").stdout.trim();
    appEnv = `FLAGS_API: ${JSON.stringify(up.client.baseUrl)}, FLAGS_TOKEN: ${JSON.stringify(token)}`;
    project.writeManifest(`    env: { ${appEnv} }`);
    await waitForRelease(up.client, await up.client.deploy("staging", "web"), 60_000);
  });
  after(async () => killPlatform(project.dataDir, up));

  it("the feature variation errors → the rollout turns the flag off by itself, with the evidence in the event log", async () => {
    const started = cli(
      "flags",
      "rollout",
      "reco",
      "--env",
      "staging",
      "--plan",
      "20,50,100",
      "--every",
      "30s",
      "--guard",
      "errors=2x",
      "--on-fail",
      "off",
      "--by",
      "userId",
    );
    assert.equal(started.code, 0, started.stderr);
    const load = startLoad(`http://127.0.0.1:${project.ports.staging}/`, { concurrency: 2, maxMs: 60_000 });
    try {
      const flag = await waitFor(
        async () => {
          const f = await up.client.flag("reco", "staging");
          return f.environments[0]?.rollout?.state === "failed" ? f : undefined;
        },
        { timeoutMs: 45_000, intervalMs: 250, onTimeout: () => new Error("the rollout did not fail by itself within 45 s") },
      );
      const env = flag.environments[0];
      assert.equal(env?.enabled, false, "the flag is off");
      assert.equal(env?.rollout?.percentage, 20, "it never advanced past the first step");
    } finally {
      const result = await load.stop();
      assert.ok(result.sent > 0);
    }
    const failed = (await up.client.events({ env: "staging", type: "flag.rollout.failed" })).at(-1);
    assert.ok(failed, "a flag.rollout.failed event");
    assert.equal(failed.actor, "rampart");
    const verdict = failed.data.verdict as {
      decision: string;
      checks: Array<{ metric: string; decision: string; samples: { canary: number; stable: number } }>;
    };
    assert.equal(verdict.decision, "fail");
    const errors = verdict.checks.find((c) => c.metric === "error_rate");
    assert.equal(errors?.decision, "fail");
    assert.ok((errors?.samples.canary ?? 0) > 0 && (errors?.samples.stable ?? 0) > 0, "both variations were measured");
    const killed = (await up.client.events({ env: "staging", type: "flag.killed" })).at(-1);
    assert.equal(killed?.actor, "rampart");
    // The kill reached the app's SDK over the stream: the new code path no longer runs, nothing fails.
    await waitFor(
      async () => {
        const statuses = await Promise.all(
          Array.from({ length: 100 }, async () => (await fetch(`http://127.0.0.1:${project.ports.staging}/`)).status),
        );
        return statuses.every((s) => s === 200) ? true : undefined;
      },
      { timeoutMs: 10_000, onTimeout: () => new Error("requests still fail after the flag was turned off") },
    );
  });

  it("a feature no worse than its control advances through every step on its own and completes", async () => {
    assert.equal(cli("flags", "create", "reco2").code, 0);
    project.writeManifest(`    env: { ${appEnv}, FLAG: reco2, FEATURE_ERRORS: "0" }`);
    await waitForRelease(up.client, await up.client.deploy("staging", "web"), 60_000);
    const started = cli("flags", "rollout", "reco2", "--env", "staging", "--plan", "20,50,100", "--every", "2s", "--by", "userId");
    assert.equal(started.code, 0, started.stderr);
    const load = startLoad(`http://127.0.0.1:${project.ports.staging}/`, { concurrency: 2, maxMs: 60_000 });
    try {
      await waitFor(
        async () => ((await up.client.flag("reco2", "staging")).environments[0]?.rollout?.state === "completed" ? true : undefined),
        { timeoutMs: 45_000, intervalMs: 250, onTimeout: () => new Error("the healthy rollout did not complete within 45 s") },
      );
    } finally {
      await load.stop();
    }
    const steps = (await up.client.flagHistory("reco2", { env: "staging" })).filter((e) => e.type === "flag.rollout.step");
    assert.deepEqual(
      steps.map((e) => [e.data.from, e.data.to]),
      [
        [20, 50],
        [50, 100],
      ],
    );
    assert.ok(
      steps.every((e) => (e.data.verdict as { decision: string }).decision === "pass"),
      "each step passed its guards",
    );
    assert.equal((await up.client.flag("reco2", "staging")).environments[0]?.serving, "100% on by userId (else off)");
  });

  it("survives a kill -9 of the control plane: the new one resumes the plan at its step and finishes it", async () => {
    assert.equal(cli("flags", "create", "reco3").code, 0);
    project.writeManifest(`    env: { ${appEnv}, FLAG: reco3, FEATURE_ERRORS: "0" }`);
    await waitForRelease(up.client, await up.client.deploy("staging", "web"), 60_000);
    assert.equal(cli("flags", "rollout", "reco3", "--env", "staging", "--plan", "20,50,100", "--every", "3s", "--by", "userId").code, 0);
    const load = startLoad(`http://127.0.0.1:${project.ports.staging}/`, { concurrency: 2, maxMs: 90_000 });
    try {
      const rolloutOf = async () => (await up.client.flag("reco3", "staging")).environments[0]?.rollout;
      await waitFor(async () => ((await rolloutOf())?.percentage === 50 ? true : undefined), { timeoutMs: 30_000, intervalMs: 100 });
      const before = await rolloutOf();
      up.process.kill("SIGKILL");
      await up.exited;
      // The app's SDK keeps serving its last snapshot while the API is gone (and the new API listens elsewhere).
      up = await startRampartUp(project);
      const resumed = await rolloutOf();
      assert.deepEqual(
        [resumed?.id, resumed?.step, resumed?.stepStartedAt],
        [before?.id, before?.step, before?.stepStartedAt],
        "same plan, same step, same step start",
      );
      await waitFor(async () => ((await rolloutOf())?.state === "completed" ? true : undefined), {
        timeoutMs: 45_000,
        intervalMs: 250,
        onTimeout: () => new Error("the resumed rollout did not complete"),
      });
    } finally {
      await load.stop();
    }
    const steps = (await up.client.flagHistory("reco3", { env: "staging" })).filter((e) => e.type === "flag.rollout.step");
    assert.deepEqual(
      steps.map((e) => [e.data.from, e.data.to]),
      [
        [20, 50],
        [50, 100],
      ],
      "each step once",
    );
  });
});
