import { parseDuration, parsePercent } from "../config/units.ts";
import type { LoadResult } from "./loadtest.types.ts";

/** A k6-style threshold: `p99<300ms`, `p95<=1s`, `max<2s`, `errors<1%`, `rps>450`. */
export interface Threshold {
  text: string;
  metric: "p50" | "p90" | "p95" | "p99" | "max" | "errors" | "rps";
  op: "<" | "<=" | ">" | ">=";
  value: number;
}

const FORM = /^(p50|p90|p95|p99|max|errors|rps)\s*(<=|>=|<|>)\s*(.+)$/;

export function parseThreshold(text: string): Threshold {
  const match = FORM.exec(text.trim());
  if (!match)
    throw new Error(
      `${JSON.stringify(text)} is not a threshold: use METRIC<VALUE with p50|p90|p95|p99|max (a duration), errors (a %) or rps, e.g. p99<300ms or errors<1%`,
    );
  const [, metric, op, raw] = match as unknown as [string, Threshold["metric"], Threshold["op"], string];
  const parsed = metric === "errors" ? parsePercent(raw) : metric === "rps" ? numberOf(raw) : parseDuration(raw);
  if (!parsed.ok) throw new Error(`${JSON.stringify(text)}: ${parsed.message}`);
  // Percentages come back as fractions (1% = 0.01), durations as ms.
  return { text: text.trim(), metric, op, value: parsed.value };
}

function numberOf(raw: string): { ok: true; value: number } | { ok: false; message: string } {
  const value = Number(raw);
  return Number.isFinite(value) && value >= 0
    ? { ok: true, value }
    : { ok: false, message: `${raw} is not a number of requests per second` };
}

export function actualOf(metric: Threshold["metric"], result: Pick<LoadResult, "latencyMs" | "errorRate" | "achievedRps">): number {
  if (metric === "errors") return result.errorRate;
  if (metric === "rps") return result.achievedRps;
  return result.latencyMs[metric];
}

export function evaluate(threshold: Threshold, actual: number): boolean {
  switch (threshold.op) {
    case "<":
      return actual < threshold.value;
    case "<=":
      return actual <= threshold.value;
    case ">":
      return actual > threshold.value;
    case ">=":
      return actual >= threshold.value;
  }
}
