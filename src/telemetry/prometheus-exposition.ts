import { CHECK_LATENCY, CHECK_RESULTS, CHECK_UP } from "../checks/checks.types.ts";
import { readProcessUsage } from "../runtime/process-info.ts";
import { HTTP_DURATION, HTTP_REQUESTS, LATENCY_BOUNDS_SECONDS, type EdgeMetricsSink } from "./metrics-edge.sink.ts";
import type { MetricsStore } from "./metrics.store.ts";
import { renderFamilies, type MetricFamily, type ScalarSample } from "./prometheus-text.ts";
import { INSTANCE_CPU, INSTANCE_RESTARTS, INSTANCE_RSS, INSTANCE_UP } from "./runtime-metrics.ts";

const STALE_GAUGE_SECONDS = 60;

const RUNTIME_FAMILIES: { name: string; type: "counter" | "gauge"; help: string }[] = [
  { name: INSTANCE_CPU, type: "counter", help: "CPU time (user + system) of the instance's process since Rampart started watching it" },
  { name: INSTANCE_RSS, type: "gauge", help: "Resident memory of the instance's process" },
  { name: INSTANCE_RESTARTS, type: "counter", help: "Restarts of the instance after crashes or failed health checks" },
  { name: INSTANCE_UP, type: "gauge", help: "1 when the instance's process is alive" },
  { name: CHECK_RESULTS, type: "counter", help: "Synthetic check results by environment, app, check and result (success, failure)" },
  { name: CHECK_LATENCY, type: "gauge", help: "Response time of a synthetic check's last probe" },
  { name: CHECK_UP, type: "gauge", help: "1 while a synthetic check or heartbeat is ok, 0 while it is failing" },
];

/**
 * What GET /metrics serves: the edge's request counters and latency histogram, each instance's runtime
 * measurements, and the control plane's own. App-scraped and OTLP series are not re-exported: Prometheus
 * should scrape the apps itself if it wants them, and Rampart would only add a hop and relabelling.
 */
export function renderExposition(store: MetricsStore, edge: EdgeMetricsSink, startedAtMs: number, nowMs = Date.now()): string {
  const nowSec = Math.floor(nowMs / 1000);
  const totals = edge.totals();
  const families: MetricFamily[] = [
    {
      name: HTTP_REQUESTS,
      type: "counter",
      help: "Requests the edge answered, by environment, app, release (0: none matched), route prefix and status code",
      samples: totals.map((t) => ({ labels: { ...t.labels }, value: t.count })),
    },
    {
      name: HTTP_DURATION,
      type: "histogram",
      help: "Time from the request's arrival at the edge to the end of its response",
      samples: totals.map((t) => ({
        labels: { ...t.labels },
        bounds: LATENCY_BOUNDS_SECONDS,
        buckets: t.buckets,
        sum: t.sum,
        count: t.count,
      })),
    },
  ];
  for (const family of RUNTIME_FAMILIES) {
    // A gauge of an instance that is gone would otherwise show its last value until the series is evicted.
    const fresh = store.select(family.name).filter((s) => family.type === "counter" || s.lastSec >= nowSec - STALE_GAUGE_SECONDS);
    const samples: ScalarSample[] = fresh.map((s) => ({ labels: { ...s.labels }, value: s.kind === "histogram" ? s.totalCount : s.total }));
    families.push({ ...family, samples });
  }
  const self = readProcessUsage(process.pid);
  families.push(
    {
      name: "rampart_metrics_series",
      type: "gauge",
      help: "Series held in the metrics store's one-second rings",
      samples: [{ labels: {}, value: store.size }],
    },
    {
      name: "rampart_metrics_max_series",
      type: "gauge",
      help: "The metrics store's series cap",
      samples: [{ labels: {}, value: store.maxSeries }],
    },
    {
      name: "rampart_metrics_dropped_series_total",
      type: "counter",
      help: "New series refused because the store held its cap",
      samples: [{ labels: {}, value: store.droppedSeries }],
    },
    {
      name: "process_resident_memory_bytes",
      type: "gauge",
      help: "Resident memory of the control plane",
      samples: [{ labels: {}, value: self?.rssBytes ?? process.memoryUsage().rss }],
    },
    {
      name: "process_cpu_seconds_total",
      type: "counter",
      help: "CPU time of the control plane",
      samples: [{ labels: {}, value: self?.cpuSeconds ?? process.cpuUsage().user / 1e6 }],
    },
    {
      name: "process_start_time_seconds",
      type: "gauge",
      help: "When the control plane started (Unix seconds)",
      samples: [{ labels: {}, value: Math.floor(startedAtMs / 1000) }],
    },
  );
  return renderFamilies(families);
}
