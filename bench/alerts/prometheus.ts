/**
 * The comparison half of `npm run bench:alerts`: the same 10,000 series (as Prometheus sees them: a histogram is
 * one series per bucket plus _sum and _count) served by an exporter, scraped by Debian's Prometheus, and the same
 * 8 rules in PromQL evaluated every 5 s. Prometheus's own `prometheus_rule_group_last_duration_seconds` is read
 * after each evaluation.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LATENCY_BOUNDS_SECONDS } from "../../src/telemetry/metrics-edge.sink.ts";
import { freePort } from "../../src/testing/free-port.ts";
import { APPS, CODES, ENVS, FAILING_APPS, INSTANCES, ROUTES } from "./shape.ts";

const H = "rampart_http_request_duration_seconds";
const BY = "env, app";
const RULES = `groups:
  - name: bench
    interval: 5s
    rules:
      - alert: high_error_ratio
        expr: (sum by (${BY}) (rate(${H}_count{code=~"5.."}[1m])) / sum by (${BY}) (rate(${H}_count[1m]))) > 0.05 and sum by (${BY}) (rate(${H}_count[1m])) >= 0.1
        for: 20s
      - alert: latency_p99_regression
        expr: histogram_quantile(0.99, sum by (${BY}, le) (rate(${H}_bucket[1m]))) > 2 * histogram_quantile(0.99, sum by (${BY}, le) (rate(${H}_bucket[1d]))) and histogram_quantile(0.99, sum by (${BY}, le) (rate(${H}_bucket[1m]))) > 0.05
        for: 30s
      - alert: crash_loop
        expr: sum by (${BY}) (increase(rampart_instance_restarts_total[10m])) >= 3
      - alert: no_healthy_instance
        expr: sum by (${BY}) (rampart_instance_up) == 0
        for: 30s
      - alert: failing_check
        expr: sum by (${BY}) (rampart_check_failed) > 0
      - alert: slow_p95
        expr: histogram_quantile(0.95, sum by (${BY}, le) (rate(${H}_bucket[5m]))) > 0.5
        for: 1m
      - alert: no_traffic
        expr: sum by (${BY}) (rate(${H}_count[5m])) == 0
        for: 5m
      - alert: jobs_stalled
        expr: sum by (${BY}) (rate(jobs_total{queue="mail"}[5m])) < 0.01
        for: 5m
`;

/** Exposition of every series with cumulative values as of `elapsedSec` since the exporter started. */
function exposition(elapsedSec: number): string {
  const out: string[] = [`# TYPE ${H} histogram`];
  const bounds = LATENCY_BOUNDS_SECONDS.map((b) => (b === Number.POSITIVE_INFINITY ? "+Inf" : String(b)));
  const bucket = LATENCY_BOUNDS_SECONDS.findIndex((b) => b >= 0.025);
  for (const env of ENVS)
    for (const app of APPS)
      for (let i = 1; i <= INSTANCES; i++)
        for (const route of ROUTES)
          for (const code of CODES) {
            const rate = code === "200" ? 20 : code === "500" && FAILING_APPS.has(app) ? 5 : 0;
            const n = Math.floor(rate * elapsedSec);
            const labels = `env="${env}",app="${app}",release="1",route="${route}",instance="${env}.${app}.r1.${i}",code="${code}"`;
            for (let b = 0; b < bounds.length; b++) out.push(`${H}_bucket{${labels},le="${bounds[b]}"} ${b >= bucket ? n : 0}`);
            out.push(`${H}_sum{${labels}} ${n * 0.025}`, `${H}_count{${labels}} ${n}`);
          }
  out.push("# TYPE rampart_instance_restarts_total counter", "# TYPE rampart_instance_up gauge", "# TYPE jobs_total counter");
  for (const env of ENVS)
    for (const app of APPS)
      for (let i = 1; i <= INSTANCES; i++) {
        const labels = `env="${env}",app="${app}",release="1",instance="${env}.${app}.r1.${i}"`;
        out.push(`rampart_instance_restarts_total{${labels}} 0`, `rampart_instance_up{${labels}} 1`);
        for (const queue of ["mail", "sms", "push"]) out.push(`jobs_total{${labels},queue="${queue}"} ${Math.floor(elapsedSec)}`);
      }
  return `${out.join("\n")}\n`;
}

export async function runPrometheusComparison(): Promise<{ p50: number; p95: number; max: number; rounds: number; note: string }> {
  const dir = mkdtempSync(join(tmpdir(), "rampart-bench-prom-"));
  const started = Date.now();
  const exporter = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "text/plain; version=0.0.4" });
    res.end(exposition((Date.now() - started) / 1000));
  });
  await new Promise<void>((resolve) => exporter.listen(0, "127.0.0.1", resolve));
  const exporterPort = (exporter.address() as AddressInfo).port;
  const port = await freePort();
  writeFileSync(join(dir, "rules.yml"), RULES);
  writeFileSync(
    join(dir, "prometheus.yml"),
    `global: { scrape_interval: 10s, scrape_timeout: 9s, evaluation_interval: 5s }\nrule_files: [rules.yml]\nscrape_configs:\n  - job_name: bench\n    static_configs: [{ targets: ["127.0.0.1:${exporterPort}"] }]\n`,
  );
  const prom = spawn(
    "prometheus",
    [`--config.file=${join(dir, "prometheus.yml")}`, `--storage.tsdb.path=${join(dir, "data")}`, `--web.listen-address=127.0.0.1:${port}`],
    { stdio: "ignore" },
  );
  try {
    const durations: number[] = [];
    let lastEval = "";
    let series = 0;
    const deadline = Date.now() + 240_000;
    // Wait for 3 scrapes, so that rates have data, then collect 20 evaluations.
    while (Date.now() < deadline && durations.length < 20) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const text = await fetch(`http://127.0.0.1:${port}/metrics`)
        .then((r) => r.text())
        .catch(() => "");
      series = Number(/^prometheus_tsdb_head_series (\S+)$/m.exec(text)?.[1] ?? series);
      const at = /^prometheus_rule_group_last_evaluation_timestamp_seconds\{[^}]*\} (\S+)$/m.exec(text)?.[1] ?? "";
      const took = /^prometheus_rule_group_last_duration_seconds\{[^}]*\} (\S+)$/m.exec(text)?.[1];
      if (at === "" || at === lastEval || took === undefined) continue;
      lastEval = at;
      if (Date.now() - started < 35_000) continue;
      durations.push(Number(took) * 1000);
    }
    if (durations.length === 0) throw new Error("Prometheus evaluated no rule group within 4 minutes");
    const sorted = [...durations].sort((a, b) => a - b);
    const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
    return {
      p50: at(0.5),
      p95: at(0.95),
      max: sorted.at(-1) as number,
      rounds: durations.length,
      note:
        `Prometheus: ${series} head series (the 8,000 histograms are ${LATENCY_BOUNDS_SECONDS.length + 2} series each to it), ` +
        "scraped every 10 s from an exporter of the same series (bench/alerts/prometheus.ts), the same 8 rules as one group every 5 s; " +
        "its data reaches back only as far as the bench ran (about a minute), Rampart's ten minutes. " +
        "Times are prometheus_rule_group_last_duration_seconds after each evaluation.",
    };
  } finally {
    prom.kill("SIGTERM");
    await new Promise((resolve) => prom.once("exit", resolve));
    await new Promise((resolve) => exporter.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  }
}
