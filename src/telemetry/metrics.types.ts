import { z } from "zod";
import type { HistogramRing, ScalarRing } from "./metrics-ring.ts";

export const labelsSchema = z.record(z.string(), z.string());
export type Labels = z.infer<typeof labelsSchema>;
export type SeriesKind = "counter" | "gauge" | "histogram";

/**
 * One series of the store. Counters keep per-second increases in their ring (rates and increases are sums
 * of those) and their running total since the control plane started (what /metrics exposes); gauges keep
 * the last value of each second; histograms per-second count, sum and bucket counts plus running totals.
 */
export interface ScalarSeries {
  kind: "counter" | "gauge";
  id: number;
  name: string;
  labels: Labels;
  key: string;
  ring: ScalarRing;
  /** Counter: cumulative since start. Gauge: the last value. */
  total: number;
  lastSec: number;
}

export interface HistogramSeries {
  kind: "histogram";
  id: number;
  name: string;
  labels: Labels;
  key: string;
  ring: HistogramRing;
  /** Upper bounds, ascending, last is +Infinity. */
  bounds: readonly number[];
  totalCount: number;
  totalSum: number;
  /** Cumulative since start, per bucket (not cumulative across buckets). */
  totalBuckets: Float64Array;
  lastSec: number;
}

export type Series = ScalarSeries | HistogramSeries;

export const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
export const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** `name{a="1",b="2"}` with labels sorted: the series' identity. */
export function seriesKey(name: string, labels: Labels): string {
  const keys = Object.keys(labels).sort();
  if (keys.length === 0) return name;
  let key = `${name}{`;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i] as string;
    key += `${i === 0 ? "" : ","}${k}=${JSON.stringify(labels[k])}`;
  }
  return `${key}}`;
}

/** Metric and label names from elsewhere (OTLP's `http.server.duration`) made valid Prometheus names. */
export function sanitizeName(name: string, pattern: RegExp = METRIC_NAME): string {
  if (pattern.test(name)) return name;
  const cleaned = name.replace(/[^a-zA-Z0-9_:]/g, "_");
  return /^[0-9]/.test(cleaned) ? `_${cleaned}` : cleaned || "_";
}
