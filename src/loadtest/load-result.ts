import type { LoadResult, LoadTestRecord } from "./loadtest.types.ts";
import { type OpenLoopMeasurements, quantile } from "./open-loop.ts";
import { actualOf, evaluate, type Threshold } from "./thresholds.ts";

const round = (n: number) => Math.round(n * 10) / 10;

export function summarize(
  m: OpenLoopMeasurements,
  run: { url: string; rate: number; durationMs: number },
  thresholds: Threshold[],
): LoadResult {
  const latencyMs = {
    p50: round(quantile(m.latencies, 0.5)),
    p90: round(quantile(m.latencies, 0.9)),
    p95: round(quantile(m.latencies, 0.95)),
    p99: round(quantile(m.latencies, 0.99)),
    max: round(m.latencies.at(-1) ?? 0),
  };
  const errorRate = m.sent === 0 ? 0 : m.errors / m.sent;
  const achievedRps = round(m.elapsedMs === 0 ? 0 : (m.ok * 1000) / m.elapsedMs);
  const measured = { latencyMs, errorRate, achievedRps };
  const outcomes = thresholds.map((t) => {
    const actual = actualOf(t.metric, measured);
    return { threshold: t.text, actual, ok: evaluate(t, actual) };
  });
  return {
    ...run,
    ...{ sent: m.sent, ok: m.ok, errors: m.errors, errorRate, achievedRps, latencyMs, statuses: m.statuses },
    thresholds: outcomes,
    passed: outcomes.every((o) => o.ok),
  };
}

/** Lines comparing a run with the previous one of the same app and environment. */
export function compare(current: LoadResult, previous: LoadTestRecord | null): string[] {
  if (!previous) return ["no previous load test of this app in this environment"];
  const p = previous.result;
  const pct = (now: number, before: number) =>
    before === 0 ? "" : ` (${now >= before ? "+" : ""}${Math.round(((now - before) / before) * 100)}%)`;
  return [
    `compared with the run of ${new Date(previous.at).toISOString()} by ${previous.actor} at ${p.rate}/s:`,
    `  p99 ${current.latencyMs.p99} ms vs ${p.latencyMs.p99} ms${pct(current.latencyMs.p99, p.latencyMs.p99)}`,
    `  p50 ${current.latencyMs.p50} ms vs ${p.latencyMs.p50} ms${pct(current.latencyMs.p50, p.latencyMs.p50)}`,
    `  errors ${(current.errorRate * 100).toFixed(2)}% vs ${(p.errorRate * 100).toFixed(2)}%`,
    `  throughput ${current.achievedRps}/s vs ${p.achievedRps}/s`,
  ];
}
