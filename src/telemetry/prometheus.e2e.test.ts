import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { waitForRelease } from "../releases/release-wait.ts";
import { waitFor } from "../shared/wait.ts";
import { freePort } from "../testing/free-port.ts";
import { killPlatform, startRampartUp, type RampartUp } from "../testing/rampart-process.ts";
import { startSteadyLoad } from "../testing/steady-load.ts";
import { createTestProject, type TestProject } from "../testing/test-project.ts";
import { LATENCY_BOUNDS_SECONDS } from "./metrics-edge.sink.ts";

/**
 * A real Prometheus server (Debian's package) scrapes Rampart's /metrics every second with the platform token
 * from a credentials file; PromQL over what it stored must agree with Rampart's own query API for the same
 * window at the same evaluation time.
 */
// .ci/run installs Debian's prometheus; elsewhere the test says why it did not run rather than failing on ENOENT.
const hasPrometheus = spawnSync("prometheus", ["--version"]).status === 0;

describe("a real Prometheus scraping Rampart agrees with Rampart's query API", {
  timeout: 240_000,
  skip: !hasPrometheus && "prometheus is not installed (apt-get install prometheus, as .ci/run does)",
}, () => {
  let project: TestProject;
  let up: RampartUp;
  let prometheus: ChildProcess | undefined;
  let promUrl = "";
  let promLog = "";

  before(async () => {
    // The default synthetic checks send their own requests through the edge; this test compares only its load.
    project = await createTestProject({ instances: 2, appYaml: "    checks: { defaults: false }" });
    up = await startRampartUp(project);
    await waitForRelease(up.client, await up.client.deploy("production", "web"), 60_000);
    const dir = mkdtempSync(join(tmpdir(), "rampart-prometheus-"));
    const token = (JSON.parse(readFileSync(join(project.dataDir, "credentials.json"), "utf8")) as { token: string }).token;
    writeFileSync(join(dir, "token"), token, { mode: 0o600 });
    writeFileSync(
      join(dir, "prometheus.yml"),
      [
        "global: { scrape_interval: 1s, scrape_timeout: 900ms, evaluation_interval: 1s }",
        "scrape_configs:",
        "  - job_name: rampart",
        `    authorization: { credentials_file: ${join(dir, "token")} }`,
        `    static_configs: [{ targets: ["${new URL(up.client.baseUrl).host}"] }]`,
        "",
      ].join("\n"),
    );
    const port = await freePort();
    promUrl = `http://127.0.0.1:${port}`;
    prometheus = spawn(
      "prometheus",
      [
        `--config.file=${join(dir, "prometheus.yml")}`,
        `--storage.tsdb.path=${join(dir, "data")}`,
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    prometheus.stderr?.on("data", (d: Buffer) => (promLog = (promLog + d.toString()).slice(-4000)));
    await waitFor(async () => ((await promql("up")).some((r) => r.value[1] === "1") ? true : undefined), {
      timeoutMs: 30_000,
      intervalMs: 250,
      onTimeout: () => new Error(`Prometheus never scraped Rampart successfully:\n${promLog}`),
    });
  });
  after(async () => {
    prometheus?.kill("SIGKILL");
    if (project) await killPlatform(project.dataDir, up);
  });

  async function promql(query: string, time?: number): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
    const url = `${promUrl}/api/v1/query?query=${encodeURIComponent(query)}${time === undefined ? "" : `&time=${time}`}`;
    const response = await fetch(url).catch(() => undefined);
    if (!response?.ok) return [];
    return ((await response.json()) as { data: { result: { metric: Record<string, string>; value: [number, string] }[] } }).data.result;
  }

  it("sum(rate(rampart_http_requests_total[1m])) by (release) and histogram_quantile(0.99, …) match", async (t) => {
    // Steady open-loop traffic for more than the 1m window, so both sides see a full minute of it.
    const load = startSteadyLoad(`http://127.0.0.1:${project.ports.production}/`, {
      ratePerSecond: 100,
      maxRequests: 7000,
      maxMs: 100_000,
    });
    await waitFor(() => (load.current().sent >= 7000 ? true : undefined), {
      timeoutMs: 120_000,
      intervalMs: 500,
      onTimeout: () => new Error(`load: ${JSON.stringify(load.current())}`),
    });
    const result = await load.stop();
    assert.equal(result.failed, 0);
    // Evaluate a few seconds before the end of the load: both sides have every sample of that window by now.
    const evalSec = Math.floor(Date.now() / 1000) - 5;
    await waitFor(async () => ((await promql("rampart_http_requests_total", evalSec + 4)).length > 0 ? true : undefined), {
      timeoutMs: 10_000,
    });

    const promRate = await promql('sum(rate(rampart_http_requests_total{env="production",app="web"}[1m])) by (release)', evalSec);
    const ours = await up.client.metricsQuery({
      metric: "rampart_http_requests_total",
      fn: "rate",
      by: "release",
      filter: 'env="production",app="web"',
      to: evalSec * 1000,
      window: "1m",
    });
    assert.equal(promRate.length, 1, JSON.stringify(promRate));
    assert.equal(ours.series.length, 1, JSON.stringify(ours.series));
    const theirs = Number(promRate[0]?.value[1]);
    const mine = ours.series[0]?.points[0]?.[1] ?? 0;
    assert.equal(ours.series[0]?.labels.release, promRate[0]?.metric.release);
    // Under steady traffic a 1 s shift of the window (scrape time vs the second the edge's counts are filed
    // under) changes nothing; rate()'s extrapolation over 60 one-second samples and the load's own jitter
    // stay within a few percent, so 5 % is the tolerance.
    assert.ok(Math.abs(mine - theirs) / theirs <= 0.05, `Prometheus ${theirs.toFixed(2)} req/s, Rampart ${mine.toFixed(2)} req/s`);
    assert.ok(Math.abs(mine - 100) / 100 <= 0.1, `both near the load's 100 req/s (Rampart ${mine})`);

    const promP99 = await promql(
      'histogram_quantile(0.99, sum by (le) (rate(rampart_http_request_duration_seconds_bucket{env="production",app="web"}[1m])))',
      evalSec,
    );
    const oursP99 = await up.client.metricsQuery({
      metric: "rampart_http_request_duration_seconds",
      fn: "quantile",
      q: 0.99,
      filter: 'env="production",app="web"',
      to: evalSec * 1000,
      window: "1m",
    });
    const theirP99 = Number(promP99[0]?.value[1]);
    const myP99 = oursP99.series[0]?.points[0]?.[1] ?? Number.NaN;
    // Both interpolate inside the same fixed buckets; counts a second apart can move the answer within its
    // bucket but not out of it (allowing the neighbour for a rank sitting right on a boundary).
    t.diagnostic(
      `rate: Prometheus ${theirs.toFixed(3)} req/s, Rampart ${mine.toFixed(3)} req/s; p99: Prometheus ${theirP99}s, Rampart ${myP99}s`,
    );
    const bucketOf = (v: number) => LATENCY_BOUNDS_SECONDS.findIndex((b) => v <= b);
    assert.ok(Number.isFinite(theirP99) && Number.isFinite(myP99), `p99: Prometheus ${theirP99}, Rampart ${myP99}`);
    assert.ok(Math.abs(bucketOf(theirP99) - bucketOf(myP99)) <= 1, `p99: Prometheus ${theirP99}s, Rampart ${myP99}s`);
  });
});
