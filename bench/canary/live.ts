/**
 * `npm run bench:canary`: the whole loop on a real `rampart up` under a steady 200 requests/s.
 * A canary at 5 % that fails 20 % of its requests: time from its first traffic to the verdict, from the verdict
 * to all traffic back on stable (the edge has the new table), and requests failed in total. Then a canary
 * identical to stable: promoted to 100 %, with no failed request. The table goes to docs/benchmarks.md.
 */
import { cpus } from "node:os";
import { waitForRelease } from "../../src/releases/release-wait.ts";
import { killPlatform, startRampartUp } from "../../src/testing/rampart-process.ts";
import { createTestProject } from "../../src/testing/test-project.ts";
import { pacedLoad } from "./paced-load.ts";
import { writeSection } from "./sim-report.ts";

const RATE = 200;
const CANARY = "    release: { strategy: canary, steps: [5, 25, 50, 100], pause: 10s }";

const project = await createTestProject({ instances: 2, appYaml: CANARY });
const up = await startRampartUp(project);
const rows: string[][] = [];
try {
  await waitForRelease(up.client, await up.client.deploy("production", "web"), 60_000);
  const url = `http://127.0.0.1:${project.ports.production}/`;

  // A bad canary: 20 % of its requests fail.
  project.writeManifest(`${CANARY}\n    environments:\n      production: { env: { TEST_MODE: errors, ERROR_RATE: "0.2" } }`);
  let load = pacedLoad(url, RATE, 120_000);
  await new Promise((resolve) => setTimeout(resolve, 3_000));
  const bad = await up.client.deploy("production", "web");
  await waitForRelease(up.client, bad, 120_000).catch(() => undefined);
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  await load.stop();
  const badCounts = load.counts();
  const rollout = await up.client.rollout("production", "web");
  const verdictAt = Number(rollout.verdict?.at ?? Number.NaN);
  const since = rollout.trafficSince ?? Number.NaN;
  rows.push([
    "bad canary (20 % errors) at 5 %",
    rollout.outcome ?? "?",
    `${((verdictAt - since) / 1000).toFixed(1)} s`,
    `${((rollout.rolledBackAt ?? Number.NaN) - verdictAt).toFixed(0)} ms`,
    `${badCounts.failed} of ${badCounts.sent}`,
  ]);

  // An identical canary: goes through every step.
  project.writeManifest(CANARY);
  project.touchSource("identical");
  load = pacedLoad(url, RATE, 120_000);
  const good = await up.client.deploy("production", "web");
  const startedAt = Date.now();
  const live = await waitForRelease(up.client, good, 120_000).catch((error: unknown) => error);
  await load.stop();
  const goodCounts = load.counts();
  rows.push([
    "identical canary",
    live instanceof Error ? `not promoted: ${live.message}` : "promoted to 100 %",
    "-",
    `live after ${((Date.now() - startedAt) / 1000).toFixed(0)} s (3 judged steps × 10 s; reaching 100 % is the promotion)`,
    `${goodCounts.failed} of ${goodCounts.sent}`,
  ]);
} finally {
  await killPlatform(project.dataDir, up);
}

const header = ["scenario", "outcome", "canary traffic → verdict", "verdict → 100 % stable", "requests failed"];
const table = [`| ${header.join(" | ")} |`, `|${header.map(() => "---").join("|")}|`, ...rows.map((r) => `| ${r.join(" | ")} |`)].join(
  "\n",
);
process.stdout.write(`${table}\n`);
writeSection(
  "Canary (live)",
  [
    `Latest \`npm run bench:canary\` (bench/canary/live.ts), ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC.`,
    "",
    `- Machine: ${cpus().length} CPU (${cpus()[0]?.model ?? "?"}), Node ${process.version}; a real \`rampart up\` with the edge, two instances per release, the load generator in the same machine.`,
    `- Load: ${RATE} requests/s open-loop (paced, keep-alive) to the production environment. Canary steps 5, 25, 50, 100 % with a 10 s pause; default guards (errors 2x stable, p99 1.5x stable).`,
    "- Goals (issue 4): detection <= 10 s at 200 requests/s, back to stable <= 1 s after the verdict.",
    "",
    table,
  ].join("\n"),
);
