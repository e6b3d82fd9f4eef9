import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { waitForRelease } from "../releases/release-wait.ts";
import { waitFor } from "../shared/wait.ts";
import { startLoad } from "../testing/load-generator.ts";
import { killPlatform, runCli, startRampartUp, type RampartUp } from "../testing/rampart-process.ts";
import { createTestProject, type TestProject } from "../testing/test-project.ts";
import { METRICS_TEST_APP } from "./metrics-test-app.ts";
import type { MetricsSummary } from "./metrics.view.ts";
import { parsePrometheusText } from "./prometheus-parser.ts";

describe("metrics through a real `rampart up` with an app it has never seen", () => {
  let project: TestProject;
  let up: RampartUp;
  let token: string;
  let sent = 0;

  before(async () => {
    const source = mkdtempSync(join(tmpdir(), "rampart-metrics-app-"));
    writeFileSync(join(source, "app.mjs"), METRICS_TEST_APP);
    project = await createTestProject({
      source,
      run: "node app.mjs",
      healthPath: "/healthz",
      instances: 2,
      // The default synthetic checks send their own requests through the edge; this test counts only its load's.
      appYaml: "    metrics: { path: /metrics, interval: 1s }\n    checks: { defaults: false }",
    });
    up = await startRampartUp(project);
    token = (JSON.parse(readFileSync(join(project.dataDir, "credentials.json"), "utf8")) as { token: string }).token;
    await waitForRelease(up.client, await up.client.deploy("production", "web"), 60_000);
  });
  after(async () => killPlatform(project.dataDir, up));

  const cli = (...args: string[]) => runCli([...args, "--data", project.dataDir]);
  const summary = (...args: string[]): MetricsSummary => {
    const result = cli("metrics", "web", "--env", "production", "--json", ...args);
    assert.equal(result.code, 0, result.stderr);
    return JSON.parse(result.stdout) as MetricsSummary;
  };

  it("`rampart metrics` counts what the load generator sent, within 1 %", async (t) => {
    const load = startLoad(`http://127.0.0.1:${project.ports.production}/shop`, { concurrency: 4, maxRequests: 4000, maxMs: 60_000 });
    // startLoad stops by itself at maxRequests; wait for that, then for the edge's last collection to land.
    await waitFor(() => (load.current().sent >= 4000 ? true : undefined), { timeoutMs: 60_000, intervalMs: 200 });
    const final = await load.stop();
    sent = final.sent;
    assert.equal(final.failed, 0, final.failures.join("; "));
    const counted = await waitFor(
      () => {
        const s = summary("--since", "10m");
        return s.total.requests >= sent * 0.99 ? s : undefined;
      },
      {
        timeoutMs: 15_000,
        intervalMs: 500,
        onTimeout: () => new Error(`rampart metrics never reached ${sent}: ${JSON.stringify(summary("--since", "10m").total)}`),
      },
    );
    const error = Math.abs(counted.total.requests - sent) / sent;
    t.diagnostic(`load generator sent ${sent}, rampart metrics counted ${counted.total.requests}`);
    assert.ok(
      error <= 0.01,
      `rampart metrics says ${counted.total.requests}, the load generator sent ${sent} (${(error * 100).toFixed(2)} % off)`,
    );
    assert.equal(counted.total.errors, 0);
    assert.ok(counted.total.p50Ms !== null && counted.total.p99Ms !== null && counted.total.p50Ms <= counted.total.p99Ms);
  });

  it("--by instance, release and route split the same total", () => {
    const byInstance = summary("--since", "10m", "--by", "instance");
    assert.equal(byInstance.rows.length, 2, JSON.stringify(byInstance.rows));
    assert.equal(
      byInstance.rows.reduce((n, r) => n + r.requests, 0),
      byInstance.total.requests,
    );
    assert.deepEqual(
      summary("--since", "10m", "--by", "release").rows.map((r) => r.key),
      ["1"],
    );
    assert.deepEqual(
      summary("--since", "10m", "--by", "route").rows.map((r) => r.key),
      ["/"],
    );
    const table = cli("metrics", "web", "--env", "production", "--by", "release", "--since", "10m");
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^RELEASE\s+REQ\/S\s+ERR %\s+P50\s+P95\s+P99\s+REQUESTS/);
    // Bad usage (docs/cli.md): exit 2 with a hint, refused by the CLI before any request.
    const bad = cli("metrics", "web", "--env", "production", "--by", "colour");
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--by: expected one of route, release, instance, code/);
    assert.match(bad.stderr, /^hint: /m);
    const badSince = cli("metrics", "web", "--env", "production", "--since", "soon");
    assert.equal(badSince.code, 2);
    assert.match(badSince.stderr, /--since .*"soon" is not a duration/);
  });

  it("GET /metrics is Prometheus text that promtool accepts, with the edge's counts; it needs the token", async () => {
    const response = await fetch(`${up.client.baseUrl}/metrics`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(response.status, 200);
    assert.match(response.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    const check = spawnSync("promtool", ["check", "metrics"], { input: text, encoding: "utf8" });
    assert.ok(check.error === undefined, "promtool is installed (.ci/run installs Debian's prometheus)");
    assert.equal(check.status, 0, `promtool check metrics: ${check.stdout}${check.stderr}`);
    const parsed = parsePrometheusText(text);
    assert.deepEqual(parsed.problems, []);
    const served = parsed.samples
      .filter((s) => s.name === "rampart_http_requests_total" && s.labels.app === "web" && s.labels.env === "production")
      .reduce((n, s) => n + s.value, 0);
    assert.ok(Math.abs(served - sent) / sent <= 0.01, `/metrics counts ${served}, the load generator sent ${sent}`);
    const rss = parsed.samples.filter((s) => s.name === "rampart_instance_resident_memory_bytes" && s.labels.app === "web");
    assert.equal(rss.length, 2);
    assert.ok(
      rss.every((s) => s.value > 1_000_000),
      "instances' resident memory is sampled",
    );
    assert.equal((await fetch(`${up.client.baseUrl}/metrics`)).status, 401);
  });

  it("scrapes the app's own /metrics with env/app/release/instance labels, skipping its bad line", async () => {
    // The app counts what it served; the first scrape (before the load) is the baseline, so the increase is the load.
    const served = await waitFor(
      async () => {
        const result = await up.client.metricsQuery({
          metric: "shop_served_total",
          fn: "increase",
          filter: 'env="production",app="web"',
          by: "instance",
          window: "10m",
        });
        const total = result.series.reduce((n, s) => n + (s.points[0]?.[1] ?? 0), 0);
        return total >= sent ? result : undefined;
      },
      { timeoutMs: 15_000, intervalMs: 500 },
    );
    assert.equal(served.series.length, 2);
    assert.ok(
      served.series.every((s) => /^production\.web\.r1\./.test(s.labels.instance ?? "")),
      JSON.stringify(served.series.map((s) => s.labels)),
    );
    const up1 = await up.client.metricsQuery({ metric: "rampart_scrape_problem_lines", fn: "max", filter: 'app="web"', window: "10s" });
    assert.equal(up1.series[0]?.points[0]?.[1], 1, "the invalid line is counted, the rest is stored");
    const work = await up.client.metricsQuery({ metric: "shop_work_seconds", fn: "quantile", q: 0.5, filter: 'app="web"', window: "10m" });
    assert.ok((work.series[0]?.points[0]?.[1] ?? 1) <= 0.01);
  });

  it("accepts OTLP/HTTP JSON metrics and rejects a malformed body with the field named", async () => {
    const now = String(BigInt(Date.now()) * 1_000_000n);
    const post = (body: unknown) =>
      fetch(`${up.client.baseUrl}/v1/metrics`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    const ok = await post({
      resourceMetrics: [
        {
          resource: { attributes: [{ key: "service.name", value: { stringValue: "billing" } }] },
          scopeMetrics: [{ metrics: [{ name: "invoices.open", gauge: { dataPoints: [{ timeUnixNano: now, asInt: "42" }] } }] }],
        },
      ],
    });
    assert.equal(ok.status, 200);
    assert.deepEqual(await ok.json(), {});
    const result = await up.client.metricsQuery({ metric: "invoices_open", fn: "max", filter: 'service="billing"', window: "1m" });
    assert.equal(result.series[0]?.points[0]?.[1], 42);
    const bad = await post({ resourceMetrics: [{ scopeMetrics: [{ metrics: [{ name: "x", sum: { aggregationTemporality: 7 } }] }] }] });
    assert.equal(bad.status, 400);
    assert.match(JSON.stringify(await bad.json()), /body\.resourceMetrics\.0\.scopeMetrics\.0\.metrics\.0\.sum\.aggregationTemporality/);
    assert.equal((await fetch(`${up.client.baseUrl}/v1/metrics`, { method: "POST", body: "{}" })).status, 401);
  });

  it("answers a bad query with a 400 that names the field", async () => {
    const response = await fetch(`${up.client.baseUrl}/api/v1/metrics/query?metric=rampart_http_requests_total&fn=median&step=0s`, {
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(response.status, 400);
    const body = (await response.json()) as { error: { details: { field: string }[] } };
    assert.deepEqual(body.error.details.map((d) => d.field).sort(), ["query.fn", "query.step"]);
  });
});
