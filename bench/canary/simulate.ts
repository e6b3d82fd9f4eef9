/**
 * `npm run bench:canary:sim`: the canary analysis alone, on simulated traffic with a fake clock.
 * Thousands of rollouts of identical, error-prone and slow canaries at several request rates; prints
 * false-rollback and detection rates and times, and records the table in docs/benchmarks.md.
 *
 * Options: --runs N (2000) --pause S (30) --rates 50,200,1000 --window step|rollout --seed N --no-write
 */
import os from "node:os";
import { parseArgs } from "node:util";
import type { AnalysisGuards } from "../../src/analysis/guards.ts";
import { DEFAULT_GUARDS } from "../../src/analysis/guards.ts";
import { seededRandom } from "../../src/analysis/random.ts";
import type { ReleaseModel } from "../../src/analysis/synthetic-traffic.ts";
import type { RolloutOutcome, RolloutPlan } from "./scenario.ts";
import { simulateRollout } from "./scenario.ts";
import { formatEdgeTable, formatTable, writeSection } from "./sim-report.ts";
import type { EdgeResult, RowResult } from "./sim-report.ts";

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "2000" },
    pause: { type: "string", default: "30" },
    rates: { type: "string", default: "50,200,1000" },
    window: { type: "string", default: "step" },
    seed: { type: "string", default: "20261122" },
    "no-write": { type: "boolean", default: false },
  },
});
const runs = Number(values.runs);
const pauseSeconds = Number(values.pause);
const rates = values.rates.split(",").map(Number);
const window = values.window === "rollout" ? "rollout" : "step";
const seed = Number(values.seed);

/** Stable: 0.1% errors, median 40 ms, p99 ≈ 120 ms. The bad canaries differ in one thing each. */
const STABLE: ReleaseModel = { errorRate: 0.001, medianMs: 40, sigma: 0.47 };
const CANARIES: Record<"identical" | "errors" | "slow", ReleaseModel> = {
  identical: STABLE,
  errors: { ...STABLE, errorRate: 0.2 },
  slow: { ...STABLE, medianMs: 3 * STABLE.medianMs },
};
/** Each guard set also names a canary exactly at its error ceiling: max(2 × 0.1 %, 0.1 % + 0.2 % floor), or 1 %. */
const GUARD_SETS: { name: string; guards: AnalysisGuards; atCeiling: number }[] = [
  { name: "defaults (errors 2x, p99 1.5x)", guards: DEFAULT_GUARDS, atCeiling: 0.003 },
  {
    name: "absolute (error_rate 1%, p99 250ms)",
    guards: { errorRate: { kind: "absolute", rate: 0.01 }, p99Latency: { kind: "absolute", ms: 250 }, p50Latency: null },
    atCeiling: 0.01,
  },
];
const EDGE_RATE = 200;

function runMany(plan: RolloutPlan, canary: ReleaseModel, runSeed: number, count = runs): RolloutOutcome[] {
  const rng = seededRandom(runSeed);
  const outcomes: RolloutOutcome[] = [];
  for (let i = 0; i < count; i++) outcomes.push(simulateRollout(plan, STABLE, canary, rng));
  return outcomes;
}

const started = performance.now();
const rows: RowResult[] = [];
const edgeRows: EdgeResult[] = [];
const edgeRuns = Math.max(100, Math.round(runs / 4));
let verdicts = 0;
for (const [g, set] of GUARD_SETS.entries()) {
  for (const rate of rates) {
    const plan: RolloutPlan = {
      rate,
      steps: [5, 25, 50, 100],
      pauseSeconds,
      maxStepSeconds: 10 * pauseSeconds,
      window,
      guards: set.guards,
    };
    const base = seed + g * 1_000_003 + rate * 7919;
    const identical = runMany(plan, CANARIES.identical, base + 1);
    const errors = runMany(plan, CANARIES.errors, base + 2);
    const slow = runMany(plan, CANARIES.slow, base + 3);
    for (const outcomes of [identical, errors, slow]) for (const o of outcomes) verdicts += o.verdicts;
    rows.push({ guards: set.name, rate, identical, errors, slow });
    if (rate === EDGE_RATE) {
      const outcomes = runMany(plan, { ...STABLE, errorRate: set.atCeiling }, base + 4, edgeRuns);
      for (const o of outcomes) verdicts += o.verdicts;
      edgeRows.push({ guards: set.name, rate, canary: `${(100 * set.atCeiling).toFixed(1)} % errors`, outcomes });
    }
  }
}
const seconds = (performance.now() - started) / 1000;

const command = `npm run bench:canary:sim -- --runs ${runs} --pause ${pauseSeconds} --rates ${rates.join(",")} --window ${window} --seed ${seed}`;
const table = formatTable(rows);
const cpus = os.cpus();
const context = [
  `Latest \`${command}\` (bench/canary/simulate.ts), ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC, ${seconds.toFixed(0)} s for ${verdicts.toLocaleString("en-US")} verdicts.`,
  "",
  `- Machine: ${cpus.length} CPU (${cpus[0]?.model.trim() ?? "unknown"}), Node ${process.version}; one thread.`,
  `- ${runs} rollouts per cell and canary kind. Steps 5, 25, 50, 100 % with a ${pauseSeconds} s pause; one verdict per simulated second on the window since the ${window === "step" ? "step" : "canary"} began; a step advances only on \`pass\` once its pause is over, a \`fail\` rolls back at once, 100 % is the promotion. A step not passed after ${10 * pauseSeconds} s counts as stuck.`,
  "- Traffic: Poisson arrivals at the total rate, split by the step's %; stable fails 0.1 % of requests, latency log-normal with median 40 ms and p99 ≈ 120 ms (σ = 0.47), counted into the edge's histogram buckets. Bad canaries: 20 % errors; or 3x slower (median 120 ms).",
  "- Detection time: seconds from the canary's first traffic to the `fail` verdict (the engine's switch back to stable comes after it). Time to 100 %: identical canaries that were promoted.",
  "- Goals (issue 4): detection <= 10 s at 200 req/s, false rollbacks <= 1 %.",
  "",
  table,
  ...(edgeRows.length === 0
    ? []
    : [
        "",
        `Canaries exactly at their error ceiling (not worse than the guard, so any rollback is a false one; the hardest case for α), ${edgeRuns} rollouts each. A step passes only when the canary's observed rate is within the ceiling, so at the edge some are held (\`continue\`) until the step gives up: stuck, not rolled back.`,
        "",
        formatEdgeTable(edgeRows),
      ]),
].join("\n");

console.log(context);
if (!values["no-write"]) writeSection("Canary analysis (simulation)", context);
