import { useEffect, useState } from "preact/hooks";
import { HTTP_DURATION, HTTP_REQUESTS } from "../../../src/telemetry/metrics-edge.sink.ts";
import type { SummaryRow } from "../../../src/telemetry/metrics.view.ts";
import { api } from "../api.ts";
import { TimeChart } from "../chart.tsx";
import { useLiveData } from "../live.ts";
import { href } from "../router.ts";
import { type Column, ErrorBox, Loading, ms, Section, Table } from "../ui.tsx";
import { bytes, failedCode, isRangeKey, lastValues, RANGES, type RangeKey, selector, splitCharts } from "./metrics-data.ts";

/** What runtime-metrics.ts samples per instance (not imported: that module reads /proc). */
const INSTANCE_CPU = "rampart_instance_cpu_seconds_total";
const INSTANCE_RSS = "rampart_instance_resident_memory_bytes";
const SPLITS = ["total", "release", "route", "instance"] as const;
type Split = (typeof SPLITS)[number];
/** Request rates change without events: the figures are read again this often. */
const REFRESH_MS = 5000;

interface InstanceRow extends SummaryRow {
  cpuPercent: number | undefined;
  rssBytes: number | undefined;
}

/**
 * An app's traffic at the edge over time, split by release, route or instance: requests/s, error %, p50 and p99 as
 * charts, and a sortable table of instances with their current numbers and resource usage (what an incident needs).
 */
export function MetricsView(props: { env: string; app: string }) {
  const { env, app } = props;
  const [split, setSplit] = useState<Split>("release");
  const [range, setRange] = useState<RangeKey>("15m");
  const { data, error, reload } = useLiveData(
    async () => {
      const { ms: spanMs, step } = RANGES[range];
      const to = Date.now();
      const span = { from: to - spanMs, to, step, window: step, filter: selector({ env, app }) };
      const by = split === "total" ? undefined : split;
      const now = { filter: span.filter, window: "1m" };
      const [counts, p50, p99, byInstance, bySplit, cpu, rss] = await Promise.all([
        api.metricsQuery({ ...span, metric: HTTP_REQUESTS, fn: "rate", by: by ? `${by},code` : "code" }),
        api.metricsQuery({ ...span, metric: HTTP_DURATION, fn: "quantile", q: 0.5, by }),
        api.metricsQuery({ ...span, metric: HTTP_DURATION, fn: "quantile", q: 0.99, by }),
        api.metrics(env, app, { by: "instance", since: "5m" }),
        by === "release" || by === "route" ? api.metrics(env, app, { by, since: "5m" }) : Promise.resolve(null),
        api.metricsQuery({ ...now, metric: INSTANCE_CPU, fn: "rate", by: "instance" }).catch(() => null),
        api.metricsQuery({ ...now, metric: INSTANCE_RSS, fn: "max", by: "instance" }).catch(() => null),
      ]);
      const charts = splitCharts(by ?? null, counts, failedCode, [
        ["p50", p50],
        ["p99", p99],
      ]);
      const cpuBy = lastValues(cpu, "instance");
      const rssBy = lastValues(rss, "instance");
      const instances: InstanceRow[] = byInstance.rows.map((r) => {
        const cores = cpuBy.get(r.key ?? "");
        return { ...r, cpuPercent: cores === undefined ? undefined : cores * 100, rssBytes: rssBy.get(r.key ?? "") };
      });
      return { charts, instances, bySplit, total: byInstance.total, split, range };
    },
    (e) => e.env === env && e.app === app && (e.type.startsWith("release.") || e.type.startsWith("instance.")),
    [env, app, split, range],
  );
  useEffect(() => {
    const timer = setInterval(reload, REFRESH_MS);
    return () => clearInterval(timer);
  }, [env, app, split, range]);
  const label = data ? splitLabel(data.split) : null;
  return (
    <div class="stack">
      <h1>
        Metrics of <a href={href("apps", env, app)}>{app}</a> <span class="muted">in</span> {env}
      </h1>
      <form class="inline" aria-label="What the charts show" onSubmit={(e) => e.preventDefault()}>
        <label>
          Split{" "}
          <select value={split} onChange={(e) => setSplit(asSplit(e.currentTarget.value))} data-testid="metrics-split">
            {SPLITS.map((s) => (
              <option key={s} value={s}>
                {s === "total" ? "none (total)" : `by ${s}`}
              </option>
            ))}
          </select>
        </label>
        <RangeSelect value={range} onChange={setRange} />
        <span class="muted small">
          refreshed every {REFRESH_MS / 1000}s; <a href={href("logs", env, app)}>logs</a>
        </span>
      </form>
      <ErrorBox error={error} />
      {!data || label === null ? (
        <Loading />
      ) : (
        <>
          <Section title={`Traffic ${label}, ${RANGES[data.range].label}`}>
            {data.charts.keys.length === 0 ? (
              <p class="muted">No traffic at the edge in this range.</p>
            ) : (
              <div class="charts four" data-testid="metrics-charts">
                <TimeChart title={`Requests/s ${label}`} times={data.charts.times} series={data.charts.rps} unit="/s" />
                <TimeChart title={`Error % ${label}`} times={data.charts.times} series={data.charts.errorPercent} unit="%" />
                <TimeChart
                  title={`p50 latency ${label}`}
                  times={data.charts.times}
                  series={data.charts.latency.get("p50") ?? []}
                  unit=" ms"
                />
                <TimeChart
                  title={`p99 latency ${label}`}
                  times={data.charts.times}
                  series={data.charts.latency.get("p99") ?? []}
                  unit=" ms"
                />
              </div>
            )}
          </Section>
          {data.bySplit && (
            <Section title={`Now by ${data.split}, last 5 minutes`}>
              <Table
                caption={`Traffic by ${data.split}, last 5 minutes`}
                rowKey={(r) => r.key ?? "total"}
                rows={data.bySplit.rows}
                empty="No traffic in the last 5 minutes."
                columns={[
                  { key: "k", label: data.split === "release" ? "Release" : "Route", sort: (r) => r.key, render: (r) => r.key },
                  ...TRAFFIC,
                ]}
              />
            </Section>
          )}
          <Section title="Instances, last 5 minutes (CPU and memory: last minute)">
            <Table
              caption="Instances with their traffic and resource usage"
              rowKey={(r) => r.key ?? "?"}
              rows={data.instances}
              columns={INSTANCE_COLUMNS}
              empty="No traffic at the edge in the last 5 minutes."
            />
            <p class="small muted" data-testid="metrics-total">
              Total: {data.total.requests} requests, {data.total.rps.toFixed(2)} req/s, {data.total.errorPercent.toFixed(2)}% errors, p99{" "}
              {ms(data.total.p99Ms)}
            </p>
          </Section>
        </>
      )}
    </div>
  );
}

/** The look-back of a metrics view's charts. */
export function RangeSelect(props: { value: RangeKey; onChange: (range: RangeKey) => void }) {
  return (
    <label>
      Range{" "}
      <select value={props.value} onChange={(e) => isRangeKey(e.currentTarget.value) && props.onChange(e.currentTarget.value)}>
        {Object.entries(RANGES).map(([key, r]) => (
          <option key={key} value={key}>
            {r.label}
          </option>
        ))}
      </select>
    </label>
  );
}

function splitLabel(split: Split): string {
  return split === "total" ? "in total" : `by ${split}`;
}

function asSplit(value: string): Split {
  return SPLITS.find((s) => s === value) ?? "total";
}

const TRAFFIC: Column<SummaryRow>[] = [
  { key: "n", label: "Requests", numeric: true, sort: (r) => r.requests, render: (r) => r.requests },
  { key: "rps", label: "Req/s", numeric: true, sort: (r) => r.rps, render: (r) => r.rps.toFixed(2) },
  { key: "e", label: "Errors", numeric: true, sort: (r) => r.errorPercent, render: (r) => `${r.errorPercent.toFixed(2)}%` },
  { key: "p50", label: "p50", numeric: true, sort: (r) => r.p50Ms, render: (r) => ms(r.p50Ms) },
  { key: "p99", label: "p99", numeric: true, sort: (r) => r.p99Ms, render: (r) => ms(r.p99Ms) },
];

const INSTANCE_COLUMNS: Column<InstanceRow>[] = [
  { key: "k", label: "Instance", sort: (r) => r.key, render: (r) => r.key },
  ...TRAFFIC,
  {
    key: "cpu",
    label: "CPU",
    numeric: true,
    sort: (r) => r.cpuPercent ?? null,
    render: (r) => (r.cpuPercent === undefined ? "—" : `${r.cpuPercent.toFixed(1)}%`),
  },
  { key: "mem", label: "Memory", numeric: true, sort: (r) => r.rssBytes ?? null, render: (r) => bytes(r.rssBytes) },
];
