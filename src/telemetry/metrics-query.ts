import { histogramQuantile } from "./metrics-quantile.ts";
import { emptyHistogramWindow, type HistogramWindow } from "./metrics-ring.ts";
import type { Labels, SeriesKind } from "./metrics.types.ts";

export const QUERY_FUNCTIONS = ["rate", "increase", "sum", "avg", "max", "min", "quantile"] as const;
export type QueryFunction = (typeof QUERY_FUNCTIONS)[number];

/**
 * What the query engine reads: a series over a window of seconds (fromSec, toSec]. The in-memory rings
 * (one-second) and the persisted rollups (one-minute) both answer through this, so one engine serves both.
 */
export interface SeriesReader {
  kind: SeriesKind;
  labels: Labels;
  bounds?: readonly number[];
  /** Counter increase, or a histogram's count increase; undefined when the window holds no sample. */
  increase(fromSec: number, toSec: number): number | undefined;
  /** A gauge's latest value in the window. */
  last(fromSec: number, toSec: number): number | undefined;
  /** Adds the histogram's deltas in the window into `into`; false when none. */
  histogram(fromSec: number, toSec: number, into: HistogramWindow): boolean;
}

export interface QueryPlan {
  fn: QueryFunction;
  by: string[];
  q: number;
  /** Evaluation times, epoch seconds, ascending. */
  times: number[];
  windowSec: number;
}

export interface QuerySeriesResult {
  labels: Labels;
  /** [epoch ms, value]; value null when the group had no sample in that window. */
  points: [number, number | null][];
}

/**
 * PromQL's `sum by (…)(rate(x[w]))`, `histogram_quantile(q, sum by (le, …)(rate(x_bucket[w])))` and
 * `max by (…)(x)` in a structured form: per evaluation time t the window (t−w, t] is read from each series,
 * then the series are grouped by the `by` labels.
 */
export function evaluate(readers: SeriesReader[], plan: QueryPlan): QuerySeriesResult[] {
  const groups = new Map<string, { labels: Labels; members: SeriesReader[] }>();
  for (const reader of readers) {
    const labels: Labels = {};
    for (const l of plan.by) labels[l] = reader.labels[l] ?? "";
    const key = JSON.stringify(labels);
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { labels, members: [] }));
    group.members.push(reader);
  }
  const results: QuerySeriesResult[] = [];
  for (const group of groups.values()) {
    const points: [number, number | null][] = plan.times.map((t) => [t * 1000, evaluateGroup(group.members, plan, t - plan.windowSec, t)]);
    if (points.some(([, v]) => v !== null)) results.push({ labels: group.labels, points });
  }
  results.sort((a, b) => JSON.stringify(a.labels).localeCompare(JSON.stringify(b.labels)));
  return results;
}

function evaluateGroup(members: SeriesReader[], plan: QueryPlan, fromSec: number, toSec: number): number | null {
  if (plan.fn === "quantile") {
    const histograms = members.filter((m) => m.kind === "histogram");
    const bounds = histograms[0]?.bounds;
    if (!bounds) return null;
    const window = emptyHistogramWindow(bounds.length);
    let any = false;
    // Buckets only add up across series with the same bounds (Prometheus would need equal `le` labels too).
    for (const h of histograms) if (sameBounds(h.bounds, bounds) && h.histogram(fromSec, toSec, window)) any = true;
    return any ? histogramQuantile(plan.q, bounds, window.buckets) : null;
  }
  const values: number[] = [];
  for (const member of members) {
    const value = member.kind === "gauge" ? member.last(fromSec, toSec) : member.increase(fromSec, toSec);
    if (value === undefined) continue;
    values.push(member.kind !== "gauge" && plan.fn !== "increase" ? value / plan.windowSec : value);
  }
  if (values.length === 0) return null;
  switch (plan.fn) {
    case "rate":
    case "increase":
    case "sum":
      return values.reduce((a, b) => a + b, 0);
    case "avg":
      return values.reduce((a, b) => a + b, 0) / values.length;
    case "max":
      return Math.max(...values);
    case "min":
      return Math.min(...values);
  }
}

function sameBounds(a: readonly number[] | undefined, b: readonly number[]): boolean {
  return a !== undefined && a.length === b.length && a.every((x, i) => x === b[i]);
}
