import { useEffect, useState } from "preact/hooks";
import type { ExperimentReportView } from "../../../src/flags/flag-experiment.view.ts";
import type { FlagView } from "../../../src/flags/flag.view.ts";
import { FLAG_DURATION } from "../../../src/telemetry/metrics-flag.sink.ts";
import { api } from "../api.ts";
import { TimeChart } from "../chart.tsx";
import { useLiveData } from "../live.ts";
import { href } from "../router.ts";
import type { Session } from "../session.ts";
import { ErrorBox, Loading, ms, Section, Table } from "../ui.tsx";
import { FlagPlan } from "./flag-plan.tsx";
import { RangeSelect } from "./metrics.tsx";
import { lastValues, RANGES, type RangeKey, selector, splitCharts } from "./metrics-data.ts";

const REFRESH_MS = 5000;

interface VariationRow {
  variation: string;
  value: string;
  requests: number;
  rps: number;
  errorPercent: number | null;
  p99Ms: number | null;
  exposed: number | null;
  conversion: string | null;
  decision: string | null;
}

/**
 * One flag: its guarded rollout plan per environment (the steps, the one held now and what gates the next), and
 * per variation what the edge measured (requests, error %, p99 over time, from the x-rampart-flags header the SDK
 * sets) beside the experiment's exposure and conversion when there is one.
 */
export function FlagDetailView(props: { session: Session; flagKey: string }) {
  const { session, flagKey } = props;
  const [chosenEnv, setEnv] = useState<string | null>(null);
  const [range, setRange] = useState<RangeKey>("15m");
  const { data, error, reload } = useLiveData(
    async () => {
      const flag = await api.flag(flagKey);
      const env = chosenEnv ?? defaultEnv(flag);
      if (env === null) return { flag, env, measured: null };
      const { ms: spanMs, step } = RANGES[range];
      const to = Date.now();
      const filter = selector({ env, flag: flagKey });
      const span = { metric: FLAG_DURATION, from: to - spanMs, to, filter };
      const [counts, p99, totals, p99All, report] = await Promise.all([
        api.metricsQuery({ ...span, step, window: step, fn: "rate", by: "variation,outcome" }),
        api.metricsQuery({ ...span, step, window: step, fn: "quantile", q: 0.99, by: "variation" }),
        // One point over the whole range: the table's numbers.
        api.metricsQuery({ ...span, fn: "increase", by: "variation,outcome" }),
        api.metricsQuery({ ...span, fn: "quantile", q: 0.99, by: "variation" }),
        api.flagReport(flagKey, { env }).catch(() => null),
      ]);
      const charts = splitCharts("variation", counts, (l) => l.outcome === "error", [["p99", p99]]);
      const errorsOnly = { ...totals, series: totals.series.filter((s) => s.labels.outcome === "error") };
      const rows = variationRows(
        flag,
        lastValues(totals, "variation"),
        lastValues(errorsOnly, "variation"),
        lastValues(p99All, "variation"),
        report,
        spanMs,
      );
      return { flag, env, measured: { charts, rows, report } };
    },
    (e) => e.type.startsWith("flag.") && e.data.flag === flagKey,
    [flagKey, chosenEnv, range],
  );
  useEffect(() => {
    const timer = setInterval(reload, REFRESH_MS);
    return () => clearInterval(timer);
  }, [flagKey, chosenEnv, range]);
  if (!data) return error ? <ErrorBox error={error} /> : <Loading />;
  const { flag, env, measured } = data;
  return (
    <div class="stack">
      <h1>
        Flag {flag.key} <span class="muted small">{flag.type}</span>
      </h1>
      <p class="muted">
        {flag.description ? `${flag.description}. ` : ""}Variations:{" "}
        {flag.variations.map((v) => `${v.key} = ${JSON.stringify(v.value)}`).join(", ")}. <a href={href("flags")}>All flags</a>
      </p>
      <ErrorBox error={error} />
      <Section title="Rollout plans">
        <div class="plans">
          {flag.environments.map((state) => (
            <FlagPlan
              key={state.env}
              session={session}
              flagKey={flag.key}
              env={state.env}
              serving={state.serving}
              rollout={state.rollout}
              onDone={reload}
            />
          ))}
        </div>
      </Section>
      <form class="inline" aria-label="Which measurements" onSubmit={(e) => e.preventDefault()}>
        <label>
          Environment{" "}
          <select value={env ?? ""} onChange={(e) => setEnv(e.currentTarget.value)} data-testid="flag-env">
            {flag.environments.map((s) => (
              <option key={s.env} value={s.env}>
                {s.env}
              </option>
            ))}
          </select>
        </label>
        <RangeSelect value={range} onChange={setRange} />
      </form>
      {measured && env && (
        <Section title={`Per variation in ${env}, ${RANGES[range].label}`}>
          <Table
            caption={`Measurements per variation of ${flag.key} in ${env}`}
            rowKey={(r) => r.variation}
            rows={measured.rows}
            columns={[
              { key: "v", label: "Variation", sort: (r) => r.variation, render: (r) => r.variation },
              { key: "val", label: "Value", render: (r) => <code>{r.value}</code> },
              { key: "n", label: "Requests", numeric: true, sort: (r) => r.requests, render: (r) => r.requests },
              { key: "rps", label: "Req/s", numeric: true, sort: (r) => r.rps, render: (r) => r.rps.toFixed(2) },
              {
                key: "e",
                label: "Errors",
                numeric: true,
                sort: (r) => r.errorPercent,
                render: (r) => (r.errorPercent === null ? "—" : `${r.errorPercent.toFixed(2)}%`),
              },
              { key: "p99", label: "p99", numeric: true, sort: (r) => r.p99Ms, render: (r) => ms(r.p99Ms) },
              { key: "x", label: "Exposed users", numeric: true, sort: (r) => r.exposed, render: (r) => r.exposed ?? "—" },
              { key: "c", label: "Conversion", render: (r) => r.conversion ?? "—" },
              { key: "d", label: "Decision", render: (r) => r.decision ?? "" },
            ]}
          />
          {measured.charts.keys.length === 0 ? (
            <p class="muted">
              No request in this range carried {flag.key}: the edge measures variations from the x-rampart-flags header the SDK's scope
              sets.
            </p>
          ) : (
            <div class="charts" data-testid="flag-charts">
              <TimeChart title="Requests/s per variation" times={measured.charts.times} series={measured.charts.rps} unit="/s" />
              <TimeChart title="Error % per variation" times={measured.charts.times} series={measured.charts.errorPercent} unit="%" />
              <TimeChart
                title="p99 latency per variation"
                times={measured.charts.times}
                series={measured.charts.latency.get("p99") ?? []}
                unit=" ms"
              />
            </div>
          )}
          {measured.report && hasExposure(measured.report) && (
            <details>
              <summary>Experiment report</summary>
              <pre class="report">{measured.report.markdown}</pre>
            </details>
          )}
        </Section>
      )}
    </div>
  );
}

/** The environment worth opening on: one with a guarded rollout going on, else the first. */
function defaultEnv(flag: FlagView): string | null {
  const active = flag.environments.find((e) => e.rollout && (e.rollout.state === "running" || e.rollout.state === "paused"));
  return (active ?? flag.environments[0])?.env ?? null;
}

function hasExposure(report: ExperimentReportView): boolean {
  return report.results.some((r) => r.days.some((d) => d.variations.some((v) => v.exposed > 0)));
}

function variationRows(
  flag: FlagView,
  requests: Map<string, number>,
  errors: Map<string, number>,
  p99Seconds: Map<string, number>,
  report: ExperimentReportView | null,
  spanMs: number,
): VariationRow[] {
  const experiment = report?.results[0];
  const today = experiment?.days.at(-1)?.variations ?? [];
  const names = new Set([...flag.variations.map((v) => v.key), ...requests.keys()]);
  return [...names].map((variation) => {
    const n = Math.round(requests.get(variation) ?? 0);
    const x = today.find((v) => v.variation === variation);
    const value = flag.variations.find((v) => v.key === variation)?.value;
    const p99 = p99Seconds.get(variation);
    return {
      variation,
      value: value === undefined ? "?" : JSON.stringify(value),
      requests: n,
      rps: n / (spanMs / 1000),
      errorPercent: n === 0 ? null : (100 * Math.round(errors.get(variation) ?? 0)) / n,
      p99Ms: p99 === undefined ? null : p99 * 1000,
      exposed: x ? x.exposed : null,
      conversion: x && x.exposed > 0 ? `${pct(x.conversion.estimate)} [${pct(x.conversion.low)}, ${pct(x.conversion.high)}]` : null,
      decision: x?.decision ? x.decision.replace("_", " ") : x ? "control" : null,
    };
  });
}

function pct(value: number): string {
  return `${(100 * value).toFixed(1)}%`;
}
