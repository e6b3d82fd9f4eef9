import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, it } from "node:test";
import { CumulativeDeltas } from "./metrics-cumulative.ts";
import { MetricsStore } from "./metrics.store.ts";
import { parsePrometheusText } from "./prometheus-parser.ts";
import { renderFamilies, type MetricFamily } from "./prometheus-text.ts";
import { ingestScrape } from "./scrape-ingest.ts";

const APP_EXPOSITION = `# HELP http_requests_total The total number of HTTP requests.
# TYPE http_requests_total counter
http_requests_total{method="post",code="200"} 1027 1395066363000
http_requests_total{method="post",code="400"}    3 1395066363000

# A comment that is not HELP or TYPE.
msdos_file_access_time_seconds{path="C:\\\\DIR\\\\FILE.TXT",error="Cannot find file:\\n\\"FILE.TXT\\""} 1.458255915e9
metric_without_timestamp_and_labels 12.47
# TYPE temperature gauge
temperature{room="a",} -Inf
# TYPE http_request_duration_seconds histogram
http_request_duration_seconds_bucket{le="0.05"} 24054
http_request_duration_seconds_bucket{le="0.1"} 33444
http_request_duration_seconds_bucket{le="+Inf"} 144320
http_request_duration_seconds_sum 53423
http_request_duration_seconds_count 144320
# TYPE rpc_duration_seconds summary
rpc_duration_seconds{quantile="0.5"} 4773
rpc_duration_seconds_sum 1.7560473e+07
rpc_duration_seconds_count 2693
`;

describe("Prometheus text parser", () => {
  it("reads the exposition-format example: types, labels with escapes, timestamps, special values", () => {
    const parsed = parsePrometheusText(APP_EXPOSITION);
    assert.deepEqual(parsed.problems, []);
    assert.equal(parsed.types.get("http_requests_total"), "counter");
    assert.equal(parsed.types.get("rpc_duration_seconds"), "summary");
    assert.equal(parsed.samples.length, 13);
    const file = parsed.samples.find((s) => s.name === "msdos_file_access_time_seconds");
    assert.deepEqual(file?.labels, { path: "C:\\DIR\\FILE.TXT", error: 'Cannot find file:\n"FILE.TXT"' });
    assert.equal(parsed.samples.find((s) => s.name === "temperature")?.value, -Infinity);
  });

  it("reports a bad line with its number and keeps the rest; never throws on garbage", () => {
    const parsed = parsePrometheusText('ok_metric 1\nbad{a="1" 2\n{}\nx{a="\\q"} 1\ny 1 2 3\nz notanumber\n# TYPE q bogus\nlast 3\n');
    assert.deepEqual(
      parsed.samples.map((s) => s.name),
      ["ok_metric", "last"],
    );
    assert.deepEqual(
      parsed.problems.map((p) => p.line),
      [2, 3, 4, 5, 6, 7],
    );
    assert.match(parsed.problems[0]?.message ?? "", /expected , or \}/);
    assert.match(parsed.problems[2]?.message ?? "", /invalid escape/);
    for (const junk of ["\u0000\u0001", "{{{{", 'a{b="', "é 1", "#", " ".repeat(1000)])
      assert.doesNotThrow(() => parsePrometheusText(junk));
  });
});

describe("scrape ingestion", () => {
  it("turns cumulative counters and histograms into increases between scrapes, adds the target labels", () => {
    const store = new MetricsStore();
    const deltas = new CumulativeDeltas(100);
    const target = { env: "production", app: "web", release: "3", instance: "web-3-1" };
    const scrape = (n: number, sec: number) =>
      ingestScrape(
        store,
        (k, v) => deltas.delta(k, v),
        parsePrometheusText(
          `# TYPE jobs_total counter\njobs_total{env="app-says"} ${n}\n# TYPE lat histogram\nlat_bucket{le="1"} ${n}\nlat_bucket{le="+Inf"} ${2 * n}\nlat_sum ${n}\nlat_count ${2 * n}\n# TYPE temp gauge\ntemp 21.5\n`,
        ),
        target,
        sec,
      );
    scrape(100, 10);
    scrape(130, 25);
    scrape(5, 40); // the app restarted: its counter starts again
    const [jobs] = store.select("jobs_total", { env: "production" });
    assert.ok(jobs && jobs.kind === "counter");
    assert.deepEqual([jobs.ring.get(10), jobs.ring.get(25), jobs.ring.get(40)], [0, 30, 5]);
    assert.equal(jobs.labels.env, "production", "the target's labels win over the app's");
    const [lat] = store.select("lat");
    assert.ok(lat && lat.kind === "histogram");
    assert.deepEqual(lat.bounds, [1, Infinity]);
    assert.deepEqual([lat.totalCount, [...lat.totalBuckets]], [60 + 10, [30 + 5, 30 + 5]]);
    assert.equal(store.select("temp")[0]?.kind, "gauge");
  });
});

describe("OpenMetrics 1.0 families (issue 19 item 5)", () => {
  const OPENMETRICS = `# TYPE jobs counter
# HELP jobs Jobs done.
jobs_total{queue="a"} 4.0
jobs_created{queue="a"} 1.7964749729427373e+09
# TYPE lat histogram
lat_bucket{le="0.1"} 1.0 # {trace_id="4bf92f3577b34da6a3ce929d0e0e4736"} 0.05 1796474972.9428048
lat_bucket{le="+Inf"} 2.0 # {} 7
lat_count 2.0
lat_sum 7.05
lat_created 1.79647497294277e+09
# TYPE size summary
size_count 1.0
size_sum 100.0
size_created 1.7964749729428148e+09
# TYPE up_since gauge
up_since 1.7e9 1.7e9
# EOF
`;

  it("accepts exemplars and second timestamps, and refuses a broken exemplar with its line", () => {
    const parsed = parsePrometheusText(OPENMETRICS);
    assert.deepEqual(parsed.problems, []);
    assert.equal(parsed.samples.find((s) => s.name === "lat_bucket")?.value, 1);
    const bad = parsePrometheusText('x_bucket{le="1"} 1 # trace 0.5\ny_bucket{le="1"} 1 # {a="1} 0.5\nz 1 # {a="1"}\n');
    assert.deepEqual(
      bad.problems.map((p) => [p.line, /exemplar/.test(p.message)]),
      [
        [1, true],
        [2, true],
        [3, true],
      ],
    );
  });

  it("files x_total of a counter family x as a counter, drops _created, and stores what 0.0.4 would", () => {
    const store = new MetricsStore();
    const deltas = new CumulativeDeltas(100);
    const target = { instance: "i" };
    const ingest = (text: string, sec: number) => ingestScrape(store, (k, v) => deltas.delta(k, v), parsePrometheusText(text), target, sec);
    ingest(OPENMETRICS, 10);
    ingest(OPENMETRICS.replace('jobs_total{queue="a"} 4.0', 'jobs_total{queue="a"} 9.0'), 11);
    const [jobs] = store.select("jobs_total", { queue: "a" });
    assert.equal(jobs?.kind, "counter");
    assert.equal(jobs?.kind === "counter" ? jobs.total : -1, 5);
    assert.equal(store.select("lat")[0]?.kind, "histogram");
    assert.equal(store.select("size_count")[0]?.kind, "counter");
    assert.equal(store.select("up_since")[0]?.kind, "gauge");
    assert.deepEqual(
      store.names().filter((n) => n.endsWith("_created")),
      [],
    );
    // The Python client's 0.0.4 output declares the creation times as gauges of their own.
    const text = new MetricsStore();
    ingestScrape(
      text,
      (_k, v) => v,
      parsePrometheusText(
        '# TYPE jobs_total counter\njobs_total{queue="a"} 4.0\n# TYPE jobs_created gauge\njobs_created{queue="a"} 1.7e9\n# TYPE lat_created gauge\nlat_created 1.7e9\n# TYPE lat histogram\nlat_bucket{le="+Inf"} 1\n',
      ),
      target,
      10,
    );
    assert.deepEqual(text.names(), ["jobs_total", "lat"]);
  });
});

describe("Prometheus text output", () => {
  const families: MetricFamily[] = [
    {
      name: "rampart_http_requests_total",
      type: "counter",
      help: "Requests",
      samples: [{ labels: { env: "p", route: '/a"b\\c\nd' }, value: 3 }],
    },
    {
      name: "rampart_http_request_duration_seconds",
      type: "histogram",
      help: "Latency",
      samples: [{ labels: { env: "p" }, bounds: [0.1, 1, Infinity], buckets: [1, 1, 1], sum: 2.5, count: 3 }],
    },
    { name: "rampart_metrics_series", type: "gauge", help: "Series\nheld", samples: [{ labels: {}, value: 7 }] },
  ];
  const text = renderFamilies(families);

  it("round-trips through the parser with escapes and cumulative buckets ending at +Inf = count", () => {
    const parsed = parsePrometheusText(text);
    assert.deepEqual(parsed.problems, []);
    assert.equal(parsed.samples[0]?.labels.route, '/a"b\\c\nd');
    const buckets = parsed.samples.filter((s) => s.name.endsWith("_bucket")).map((s) => [s.labels.le, s.value]);
    assert.deepEqual(buckets, [
      ["0.1", 1],
      ["1", 2],
      ["+Inf", 3],
    ]);
    assert.ok(text.endsWith("\n"));
  });

  it("passes promtool check metrics (Prometheus's own parser and linter)", { skip: !hasPromtool() && "promtool is not installed" }, () => {
    const result = spawnSync("promtool", ["check", "metrics"], { input: text, encoding: "utf8" });
    assert.equal(result.status, 0, `${result.stdout}${result.stderr}`);
  });
});

function hasPromtool(): boolean {
  return spawnSync("promtool", ["--version"], { encoding: "utf8" }).status === 0;
}
