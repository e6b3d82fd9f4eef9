import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { pathToFileURL } from "node:url";
import { decide, emptyTotals, ratioGuard, type VariationTotals } from "../analysis/experiment-stats.ts";
import { seededRandom } from "../analysis/random.ts";
import { waitForRelease } from "../releases/release-wait.ts";
import { waitFor } from "../shared/wait.ts";
import { killPlatform, runCli, startRampartUp, type RampartUp } from "../testing/rampart-process.ts";
import { createTestProject, type TestProject } from "../testing/test-project.ts";
import type { ExperimentResults } from "./flag-experiment.view.ts";
import type { FlagRolloutView } from "./flag.view.ts";

const SDK = pathToFileURL(join(import.meta.dirname, "../../packages/sdk/src/index.ts")).href;

/**
 * A test app using the real SDK behind the edge: `/?flag=F&user=U` evaluates F for user U (the SDK reports the
 * exposure) and answers the variation; `/buy?user=U&value=V` tracks a purchase of U. Batches go out every 250 ms.
 */
const APP = `
import { createServer } from "node:http";
import { FlagsClient } from ${JSON.stringify(SDK)};
const flags = new FlagsClient({ url: process.env.FLAGS_API, sdkToken: process.env.FLAGS_TOKEN, metricsIntervalMs: 250 });
await flags.ready(15000).catch((e) => console.error("flags not ready:", e.message));
const server = createServer((req, res) => {
  const url = new URL(req.url ?? "/", "http://app");
  if (url.pathname === "/healthz") return res.end("ok");
  const userId = url.searchParams.get("user") ?? "";
  if (url.pathname === "/buy") {
    flags.track("purchase", { userId }, { value: Number(url.searchParams.get("value")) });
    return res.end("bought");
  }
  const scope = flags.scope({ userId });
  const on = scope.boolean(url.searchParams.get("flag") ?? "", false);
  scope.apply(res);
  res.end(on ? "on" : "off");
});
server.listen(Number(process.env.PORT), "127.0.0.1");
process.on("SIGTERM", () => flags.close().finally(() => server.close(() => process.exit(0))));
`;

const USERS = 1000;

interface Generated {
  totals: Record<string, VariationTotals>;
}

describe("experiments through a real `rampart up`: generated users, the real SDK in an app behind the edge", () => {
  let project: TestProject;
  let up: RampartUp;
  const cli = (...args: string[]) => runCli([...args, "--data", project.dataDir]);
  const edge = () => `http://127.0.0.1:${project.ports.staging}`;

  before(async () => {
    const source = mkdtempSync(join(tmpdir(), "rampart-exp-app-"));
    writeFileSync(join(source, "server.mjs"), APP);
    project = await createTestProject({ instances: 1, source, run: `${process.execPath} server.mjs` });
    up = await startRampartUp(project);
    const token = cli("flags", "token", "--env", "staging").stdout.trim();
    project.writeManifest(`    env: { FLAGS_API: ${JSON.stringify(up.client.baseUrl)}, FLAGS_TOKEN: ${JSON.stringify(token)} }`);
    await waitForRelease(up.client, await up.client.deploy("staging", "web"), 60_000);
  });
  after(async () => killPlatform(project.dataDir, up));

  /**
   * USERS users, 10 at a time, each served `flag` through the edge; a user of variation v buys with probability
   * convert[v] (value 20–80, seeded). Returns what was generated, per variation, as the experiment should see it.
   */
  async function generate(flag: string, convert: Record<string, number>, seed: number): Promise<Generated> {
    const started = performance.now();
    const rng = seededRandom(seed);
    const plan = Array.from({ length: USERS }, (_, i) => ({
      user: `${flag}-u${i}`,
      draw: rng.next(),
      value: 20 + Math.round(rng.next() * 6000) / 100,
    }));
    const totals: Record<string, VariationTotals> = { on: emptyTotals(), off: emptyTotals() };
    for (let i = 0; i < plan.length; i += 10) {
      await Promise.all(
        plan.slice(i, i + 10).map(async ({ user, draw, value }) => {
          const res = await fetch(`${edge()}/?flag=${flag}&user=${user}`);
          const variation = await res.text();
          assert.equal(res.status, 200);
          const t = totals[variation];
          assert.ok(t, `variation ${variation}`);
          t.exposed++;
          if (draw >= (convert[variation] ?? 0)) return;
          assert.equal((await fetch(`${edge()}/buy?user=${user}&value=${value}`)).status, 200);
          t.converted++;
          t.events++;
          t.eventsSq++;
          t.valueSum += value;
          t.valueSq += value * value;
        }),
      );
    }
    process.stdout.write(`# e2e: ${USERS} users of ${flag} generated in ${Math.round(performance.now() - started)} ms\n`);
    return { totals };
  }

  /** `rampart flags results` once every exposure and purchase generated has arrived (the SDK batches every 250 ms). */
  async function resultsMatching(flag: string, g: Generated): Promise<ExperimentResults> {
    // Polled over the API (a CLI process per look is slow on a shared machine), then read once with the CLI.
    await waitFor(
      async () => {
        const last = (await up.client.flagResults(flag, { env: "staging", metric: "purchase" })).days.at(-1)?.variations ?? [];
        const arrived = ["on", "off"].every((v) => {
          const got = last.find((x) => x.variation === v);
          return got?.exposed === g.totals[v]?.exposed && got?.events === g.totals[v]?.events;
        });
        return arrived ? true : undefined;
      },
      {
        timeoutMs: 20_000,
        intervalMs: 250,
        onTimeout: () => new Error(`the generated exposures and purchases of ${flag} did not all arrive`),
      },
    );
    const out = cli("flags", "results", flag, "--env", "staging", "--metric", "purchase", "--json");
    assert.equal(out.code, 0, out.stderr);
    return JSON.parse(out.stdout) as ExperimentResults;
  }

  /** A guarded plan from 50% with a business guard, through the CLI; it may advance only after 1h, so it is judged. */
  function startPlan(flag: string): void {
    const args = ["--plan", "50,100", "--every", "1h", "--by", "userId", "--guard", "conversion:purchase>=0.98x"];
    const plan = cli("flags", "rollout", flag, "--env", "staging", ...args);
    assert.equal(plan.code, 0, plan.stderr);
  }

  async function rolloutOf(flag: string): Promise<FlagRolloutView | null | undefined> {
    return (await up.client.flag(flag, "staging")).environments[0]?.rollout;
  }

  it("one variation converts better (30% against 10%): results, the sequential decision and the guard match the generated numbers", async () => {
    // Set up over the API (a CLI process is slow on a shared machine); what is checked goes through the CLI.
    await up.client.createFlag({ key: "exp" });
    await up.client.rolloutFlag("exp", "staging", { percentage: 50, by: "userId" });
    const g = await generate("exp", { on: 0.3, off: 0.1 }, 1);
    const r = await resultsMatching("exp", g);
    const last = r.days.at(-1)?.variations ?? [];
    for (const v of ["on", "off"]) {
      const got = last.find((x) => x.variation === v);
      const want = g.totals[v] ?? emptyTotals();
      assert.deepEqual([got?.exposed, got?.converted, got?.events], [want.exposed, want.converted, want.events], v);
      assert.ok(Math.abs((got?.valuePerUser.estimate ?? 0) - want.valueSum / want.exposed) < 1e-6, `${v} value per user`);
    }
    const control = g.totals.off ?? emptyTotals();
    const treatment = g.totals.on ?? emptyTotals();
    assert.equal(r.comparisons[0]?.conversion.decision, decide(control, treatment, "conversion", 0.05));
    assert.equal(r.comparisons[0]?.conversion.decision, "treatment_better", "a 30% vs 10% split over ~500 users each is found");
    assert.equal(r.sampleRatio?.mismatch, false);
    process.stdout.write(
      `# e2e: on ${treatment.converted}/${treatment.exposed}, off ${control.converted}/${control.exposed}; difference ${JSON.stringify(r.comparisons[0]?.conversion.difference)}\n`,
    );

    // A plan guarding conversion holds: the feature converts better, so it is not below 0.98x control.
    startPlan("exp");
    const guards = await waitFor(async () => (await rolloutOf("exp"))?.businessGuards ?? undefined, { timeoutMs: 10_000, intervalMs: 250 });
    const [guard] = guards as Array<{ holds: boolean; control: number; treatment: number; margin: { estimate: number }; alpha: number }>;
    const expected = ratioGuard(control, treatment, "conversion", 0.98, guard?.alpha ?? 0);
    assert.equal(guard?.holds, true);
    assert.equal(guard?.holds, expected.holds);
    assert.ok(Math.abs((guard?.margin.estimate ?? 0) - expected.margin.estimate) < 1e-9);
    assert.equal((await rolloutOf("exp"))?.state, "running");

    const report = cli("flags", "report", "exp", "--env", "staging");
    assert.equal(report.code, 0, report.stderr);
    assert.match(report.stdout, /^# Experiment report: exp in staging/);
    assert.match(report.stdout, /- on vs off, conversion: \*\*treatment_better\*\*/);
    assert.match(
      report.stdout,
      /Running, step 1 of 2 at 50% `on`\. Next: 100% from .* only while every guard holds \(conversion:purchase>=0\.98x\)/,
    );
  });

  it("a feature that converts worse (5% against 30%) pauses its plan on the business guard, with the generated numbers as evidence", async () => {
    // Set up over the API (a CLI process is slow on a shared machine); what is checked goes through the CLI.
    await up.client.createFlag({ key: "exp-worse" });
    await up.client.rolloutFlag("exp-worse", "staging", { percentage: 50, by: "userId" });
    const g = await generate("exp-worse", { on: 0.05, off: 0.3 }, 2);
    const r = await resultsMatching("exp-worse", g);
    const control = g.totals.off ?? emptyTotals();
    const treatment = g.totals.on ?? emptyTotals();
    assert.equal(r.comparisons[0]?.conversion.decision, decide(control, treatment, "conversion", 0.05));
    assert.equal(r.comparisons[0]?.conversion.decision, "treatment_worse");
    startPlan("exp-worse");
    const paused = await waitFor(async () => ((await rolloutOf("exp-worse"))?.state === "paused" ? rolloutOf("exp-worse") : undefined), {
      timeoutMs: 15_000,
      intervalMs: 250,
      onTimeout: () => new Error("the plan did not pause on its business guard"),
    });
    assert.match(paused?.message ?? "", /business guard conversion:purchase>=0\.98x failed/);
    const event = (await up.client.events({ env: "staging", type: "flag.rollout.paused" })).at(-1);
    const [evidence] = (event?.data.businessGuards ?? []) as Array<{
      holds: boolean;
      control: number;
      treatment: number;
      users: { control: number; treatment: number };
      margin: { estimate: number; high: number };
      alpha: number;
    }>;
    const expected = ratioGuard(control, treatment, "conversion", 0.98, evidence?.alpha ?? 0);
    assert.equal(evidence?.holds, false);
    assert.deepEqual(evidence?.users, { control: control.exposed, treatment: treatment.exposed });
    assert.ok(Math.abs((evidence?.treatment ?? 0) - treatment.converted / treatment.exposed) < 1e-9);
    assert.ok(Math.abs((evidence?.control ?? 0) - control.converted / control.exposed) < 1e-9);
    assert.ok(Math.abs((evidence?.margin.high ?? 0) - expected.margin.high) < 1e-9);
    const status = cli("flags", "rollout", "exp-worse", "--env", "staging");
    assert.match(status.stdout, /BUSINESS GUARD[\s\S]*conversion:purchase>=0\.98x .* NO/);
  });
});
