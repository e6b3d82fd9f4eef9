/**
 * `npm run bench:alerts`: one alert evaluation round over 10,000 series (goal ≤ 50 ms), then the same series and
 * rules in a real Prometheus (Debian's) for comparison. Prints a table for docs/benchmarks.md.
 *
 * Series: 100 targets (2 environments × 50 apps), each with 100 series: 80 of the edge's request histograms
 * (4 routes × 4 instances × 5 status codes), 4 restart counters, 4 instance-up gauges and 12 scraped counters
 * (`jobs_total`), ten minutes of one-second data. Rules: the 5 defaults plus 3 project rules (a p95, an absence of
 * traffic, a scraped metric), so 800 rule evaluations per round; 5 apps fail 20 % of their requests.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { FakeNotifier } from "../../src/alerts/alert-notifier.fake.ts";
import { createAlerts } from "../../src/alerts/alerts.module.ts";
import type { DeployContext } from "../../src/alerts/deploy-context.ts";
import { parseManifest } from "../../src/config/manifest.loader.ts";
import { openDatabase } from "../../src/db/database.ts";
import { EventLog } from "../../src/events/event-log.ts";
import { platformMigrations } from "../../src/platform/migrations.ts";
import type { InstanceRecord } from "../../src/runtime/instance.types.ts";
import { instanceRecord } from "../../src/telemetry/instance-record.fixture.ts";
import { FakeClock } from "../../src/shared/fake-clock.ts";
import { LATENCY_BUCKETS_MS } from "../../src/shared/measurement.ts";
import { HTTP_DURATION, LATENCY_BOUNDS_SECONDS } from "../../src/telemetry/metrics-edge.sink.ts";
import { MetricsStore } from "../../src/telemetry/metrics.store.ts";
import type { HistogramSeries, ScalarSeries } from "../../src/telemetry/metrics.types.ts";
import { INSTANCE_RESTARTS, INSTANCE_UP } from "../../src/telemetry/runtime-metrics.ts";
import { runPrometheusComparison } from "./prometheus.ts";
import { APPS, CODES, ENVS, FAILING_APPS, INSTANCES, PROJECT_RULES, ROUTES } from "./shape.ts";

const SECONDS = 600;
const ROUNDS = 20;

const yaml = [
  "name: bench",
  "environments:",
  ...ENVS.map((e, i) => `  ${e}: { port: ${18080 + i} }`),
  "apps:",
  ...APPS.flatMap((a) => [`  ${a}:`, `    source: ./${a}`, "    run: node server.js", `    routes: [/${a}]`]),
  "alerts:",
  "  rules:",
  ...PROJECT_RULES.map((r) => `    - { name: ${r.name}, expr: '${r.expr}', for: ${r.for}, severity: ${r.severity} }`),
].join("\n");

interface Fed {
  histograms: { series: HistogramSeries; ok: boolean; failing: boolean }[];
  counters: ScalarSeries[];
  gauges: ScalarSeries[];
}

function createSeries(store: MetricsStore): Fed {
  const fed: Fed = { histograms: [], counters: [], gauges: [] };
  for (const env of ENVS)
    for (const app of APPS)
      for (let i = 1; i <= INSTANCES; i++) {
        const instance = `${env}.${app}.r1.${i}`;
        for (const route of ROUTES)
          for (const code of CODES) {
            const series = store.histogramSeries(HTTP_DURATION, { env, app, release: "1", route, instance, code }, LATENCY_BOUNDS_SECONDS);
            if (!series) throw new Error("series refused: raise maxSeries");
            fed.histograms.push({ series, ok: code === "200", failing: code === "500" && FAILING_APPS.has(app) });
          }
        const labels = { env, app, release: "1", instance };
        store.addCounter(INSTANCE_RESTARTS, labels, 0, 0);
        store.setGauge(INSTANCE_UP, labels, 0, 1);
        for (const queue of ["mail", "sms", "push"]) store.addCounter("jobs_total", { ...labels, queue }, 0, 0);
      }
  for (const s of store.all()) if (s.kind === "counter") fed.counters.push(s);
  for (const s of store.all()) if (s.kind === "gauge") fed.gauges.push(s);
  return fed;
}

const bucket = LATENCY_BUCKETS_MS.findIndex((b) => b >= 25);
const counts = new Float64Array(LATENCY_BOUNDS_SECONDS.length);

function feed(store: MetricsStore, fed: Fed, sec: number): void {
  for (const h of fed.histograms) {
    // 20 requests/s on each 200 series; failing apps' 500 series get a quarter of that: 20 % of their requests.
    const n = h.ok ? 20 : h.failing ? 5 : 0;
    if (n === 0) continue;
    counts.fill(0);
    counts[bucket] = n;
    store.recordHistogram(h.series, sec, n, n * 0.025, counts);
  }
  for (const c of fed.counters) {
    c.ring.add(sec, c.name === "jobs_total" ? 1 : 0);
    c.lastSec = sec;
  }
  for (const g of fed.gauges) {
    g.ring.set(sec, 1);
    g.lastSec = sec;
  }
}

function percentile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "rampart-bench-alerts-"));
  const clock = new FakeClock(1_800_000_000_000);
  const store = new MetricsStore({ maxSeries: 20_000 });
  const fed = createSeries(store);
  const fillStart = performance.now();
  const startSec = Math.floor(clock.now() / 1000) - SECONDS;
  for (let s = startSec + 1; s <= startSec + SECONDS; s++) feed(store, fed, s);
  const fillMs = performance.now() - fillStart;
  const manifest = parseManifest(yaml, join(dir, "rampart.yaml"));
  const database = await openDatabase(dir, platformMigrations);
  const events = new EventLog(database.db, clock);
  const instances: InstanceRecord[] = ENVS.flatMap((env) =>
    APPS.flatMap((app) =>
      Array.from({ length: INSTANCES }, (_, i) => instanceRecord(`${env}.${app}.r1.${i + 1}`, 0, { env, app, release: 1, slot: i + 1 })),
    ),
  );
  const deployments: DeployContext[] = ENVS.flatMap((env) => APPS.map((app) => ({ env, app, release: 1, rollout: null })));
  const notifier = new FakeNotifier();
  const alerts = createAlerts({
    db: database.db,
    events,
    clock,
    manifest: () => manifest,
    metrics: {
      store,
      // The baselines (one query per app per minute, outside the round) answer a steady p99 of 25 ms.
      service: {
        query: async (p) => ({
          ...p,
          from: 0,
          to: 0,
          stepMs: 0,
          windowMs: 0,
          source: "rollups",
          series: [{ labels: {}, points: [[0, 0.025]] }],
        }),
      },
    },
    instances: () => instances,
    deployments: async () => deployments,
    abortCanary: async () => undefined,
    notifier: () => notifier,
    env: {},
  });
  const series = store.size;
  const evaluate: number[] = [];
  const whole: number[] = [];
  const cpu: number[] = [];
  let transitions = 0;
  let rules = 0;
  for (let round = 0; round < ROUNDS + 1; round++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const report = await alerts.evaluator.round();
    const t1 = performance.now();
    const c1 = process.cpuUsage(c0);
    // The baselines are fetched after the round (outside its budget), as the loop does.
    await alerts.evaluator.afterRound();
    if (round > 0) {
      evaluate.push(report.evaluateMs);
      whole.push(t1 - t0);
      cpu.push((c1.user + c1.system) / 1000);
      transitions += report.transitions.length;
    }
    rules = report.evaluations;
    // Five more seconds of data before the next round (not timed).
    const now = Math.floor(clock.now() / 1000);
    for (let s = now + 1; s <= now + 5; s++) feed(store, fed, s);
    clock.advance(5000);
  }
  const active = await alerts.evaluator.active();
  const firing = active.filter((a) => a.state === "firing").length;
  await database.close();
  rmSync(dir, { recursive: true, force: true });

  const prometheus =
    process.env.BENCH_ALERTS_PROMETHEUS === "0"
      ? { error: "BENCH_ALERTS_PROMETHEUS=0" }
      : await runPrometheusComparison().catch((error: unknown) => ({ error: String(error) }));
  const rows: [string, string, string, string, string][] = [
    [
      "rampart: evaluation (rules × apps, measurements, state machine)",
      ms(percentile(evaluate, 0.5)),
      ms(percentile(evaluate, 0.95)),
      ms(Math.max(...evaluate)),
      `${ROUNDS}`,
    ],
    [
      "rampart: whole round (+ deploy context, events, notifier)",
      ms(percentile(whole, 0.5)),
      ms(percentile(whole, 0.95)),
      ms(Math.max(...whole)),
      `${ROUNDS}`,
    ],
    [
      "rampart: whole round, CPU time of the process",
      ms(percentile(cpu, 0.5)),
      ms(percentile(cpu, 0.95)),
      ms(Math.max(...cpu)),
      `${ROUNDS}`,
    ],
  ];
  if ("rounds" in prometheus)
    rows.push([
      "prometheus 2.42: rule group evaluation (same rules in PromQL)",
      ms(prometheus.p50),
      ms(prometheus.p95),
      ms(prometheus.max),
      `${prometheus.rounds}`,
    ]);
  process.stdout.write(`## Alert evaluation\n\n`);
  process.stdout.write(
    `Latest \`npm run bench:alerts\` (bench/alerts/run.ts), ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC. ` +
      `${cpus().length} CPU (${cpus()[0]?.model ?? "?"}), Node ${process.version}, load average (1 min) ${loadavg()[0]?.toFixed(1)}.\n\n`,
  );
  process.stdout.write(
    `${series} series (${fed.histograms.length} request histograms, ${fed.counters.length} counters, ${fed.gauges.length} gauges), ` +
      `${SECONDS} s of one-second data (filled in ${(fillMs / 1000).toFixed(1)} s), ${rules} rule evaluations per round ` +
      `(${ENVS.length * APPS.length} app × environment targets, 8 rules each); ${firing} alerts firing at the end, ${transitions} transitions in the timed rounds.\n\n`,
  );
  const header = ["what", "p50", "p95", "max", "rounds"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]?.length ?? 0)));
  const line = (cells: string[]) =>
    `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join(" | ")} |`;
  process.stdout.write(`${line(header)}\n| ${widths.map((w, i) => (i === 0 ? "-".repeat(w) : `${"-".repeat(w - 1)}:`)).join(" | ")} |\n`);
  for (const r of rows) process.stdout.write(`${line(r)}\n`);
  process.stdout.write(`\nGoal: ≤ 50 ms per round (issue 15).\n`);
  if ("error" in prometheus) process.stdout.write(`\nPrometheus comparison not run: ${prometheus.error}\n`);
  else process.stdout.write(`\n${prometheus.note}\n`);
}

function ms(value: number): string {
  return `${value.toFixed(2)} ms`;
}

await main();
