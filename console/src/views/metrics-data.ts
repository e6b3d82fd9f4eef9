import type { MetricsQueryResult } from "../../../src/telemetry/metrics.view.ts";
import { isFailedRequest } from "../../../src/shared/measurement.ts";
import type { ChartSeries } from "../chart.tsx";

/** The look-back windows the metrics views offer, with a step that keeps each chart to about 60 points. */
export const RANGES = {
  "15m": { label: "last 15 minutes", ms: 900_000, step: "15s" },
  "1h": { label: "last hour", ms: 3_600_000, step: "1m" },
  "6h": { label: "last 6 hours", ms: 21_600_000, step: "6m" },
} as const;
export type RangeKey = keyof typeof RANGES;

export function isRangeKey(value: string): value is RangeKey {
  return value in RANGES;
}

/** A PromQL-style equality selector (`env="production",app="web"`); JSON's string escapes are the parser's. */
export function selector(labels: Record<string, string>): string {
  return Object.entries(labels)
    .map(([name, value]) => `${name}=${JSON.stringify(value)}`)
    .join(",");
}

/** Series colours in both themes (styles.css); a split with more values than this repeats them dashed. */
const PALETTE = ["--series-1", "--series-2", "--series-3", "--series-4", "--series-5", "--series-6"];

export function seriesColor(index: number): { color: string; dash?: number[] } {
  const color = PALETTE[index % PALETTE.length] ?? "--accent";
  return index < PALETTE.length ? { color } : { color, dash: [6, 3] };
}

/** Time charts of one split: requests/s, error % and latency quantiles, one line per value of the split label. */
export interface SplitCharts {
  times: number[];
  keys: string[];
  rps: ChartSeries[];
  errorPercent: ChartSeries[];
  latency: Map<string, ChartSeries[]>;
}

/**
 * Pivots the queries of one range (all with the same from, to and step, hence the same evaluation times) into
 * one line per split value. `counts` is a rate grouped by the split label and by `errorLabel`, whose value says
 * whether a request failed: requests/s add every group, errors those that failed. Quantiles are in seconds.
 */
export function splitCharts(
  split: string | null,
  counts: MetricsQueryResult,
  failed: (labels: Record<string, string>) => boolean,
  quantiles: [string, MetricsQueryResult][],
): SplitCharts {
  const keyOf = (labels: Record<string, string>) => (split === null ? "total" : (labels[split] ?? ""));
  const times = (counts.series[0]?.points ?? quantiles[0]?.[1].series[0]?.points ?? []).map(([t]) => t / 1000);
  const all = new Map<string, (number | null)[]>();
  const bad = new Map<string, (number | null)[]>();
  const add = (into: Map<string, (number | null)[]>, key: string, points: [number, number | null][]) => {
    let row = into.get(key);
    if (!row) into.set(key, (row = times.map(() => null)));
    points.forEach(([, v], i) => {
      if (v !== null) row[i] = (row[i] ?? 0) + v;
    });
  };
  for (const s of counts.series) {
    add(all, keyOf(s.labels), s.points);
    add(bad, keyOf(s.labels), failed(s.labels) ? s.points : []);
  }
  const keys = [...all.keys()].sort();
  const line = (key: string, i: number, values: (number | null)[]): ChartSeries => ({
    label: key,
    values,
    ...seriesColor(i),
    points: values.some((v, j) => v !== null && (values[j - 1] ?? null) === null && (values[j + 1] ?? null) === null),
  });
  const latency = new Map<string, ChartSeries[]>();
  for (const [name, result] of quantiles) {
    const byKey = new Map(result.series.map((s) => [keyOf(s.labels), s.points.map(([, v]) => (v === null ? null : v * 1000))]));
    latency.set(
      name,
      keys.map((key, i) => line(key, i, byKey.get(key) ?? times.map(() => null))),
    );
  }
  return {
    times,
    keys,
    rps: keys.map((key, i) => line(key, i, all.get(key) ?? [])),
    errorPercent: keys.map((key, i) => {
      const total = all.get(key) ?? [];
      const errors = bad.get(key) ?? [];
      return line(
        key,
        i,
        total.map((t, j) => (t === null || t === 0 ? null : (100 * (errors[j] ?? 0)) / t)),
      );
    }),
    latency,
  };
}

/** The HTTP histogram's failed requests: status 5xx (the `code` label), as the summary counts them. */
export function failedCode(labels: Record<string, string>): boolean {
  return isFailedRequest(Number(labels.code));
}

/** One value per label value from a one-point query (the last point of each series). */
export function lastValues(result: MetricsQueryResult | null, label: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const s of result?.series ?? []) {
    const value = s.points.at(-1)?.[1];
    if (value !== null && value !== undefined) out.set(s.labels[label] ?? "", (out.get(s.labels[label] ?? "") ?? 0) + value);
  }
  return out;
}

export function bytes(value: number | undefined): string {
  if (value === undefined) return "—";
  if (value >= 1 << 30) return `${(value / (1 << 30)).toFixed(1)} GiB`;
  if (value >= 1 << 20) return `${(value / (1 << 20)).toFixed(0)} MiB`;
  return `${(value / 1024).toFixed(0)} KiB`;
}
