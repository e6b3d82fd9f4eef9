import fs from "node:fs";
import path from "node:path";
import type { RolloutOutcome } from "./scenario.ts";

export interface RowResult {
  guards: string;
  rate: number;
  identical: RolloutOutcome[];
  errors: RolloutOutcome[];
  slow: RolloutOutcome[];
}

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] as number;
}

function pct(part: number, whole: number): string {
  return `${((100 * part) / whole).toFixed(1)} %`;
}

/** "k/n (x %)" plus, with none seen, the 95 % upper bound (1 − 0.05^(1/n)) so "0" is not read as "never". */
function rateCell(k: number, n: number): string {
  const bound = k === 0 ? ` (< ${(100 * (1 - 0.05 ** (1 / n))).toFixed(2)} % at 95 %)` : "";
  return `${k}/${n} = ${pct(k, n)}${bound}`;
}

function detection(outcomes: readonly RolloutOutcome[]): { rate: string; times: string } {
  const caught = outcomes
    .filter((o) => o.result === "rolled_back")
    .map((o) => o.seconds)
    .sort((a, b) => a - b);
  return {
    rate: pct(caught.length, outcomes.length),
    times: caught.length === 0 ? "—" : `${quantile(caught, 0.5)} s / ${quantile(caught, 0.95)} s`,
  };
}

export function formatTable(rows: readonly RowResult[]): string {
  const header = [
    "| guards | req/s | identical: false rollbacks | identical: stuck | identical: time to 100 % (median / p95) | 20 % errors: detected | median / p95 detection | 3x slower: detected | median / p95 detection |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
  ];
  const lines = rows.map((row) => {
    const n = row.identical.length;
    const falseRollbacks = row.identical.filter((o) => o.result === "rolled_back").length;
    const stuck = row.identical.filter((o) => o.result === "stuck").length;
    const promoted = row.identical
      .filter((o) => o.result === "promoted")
      .map((o) => o.seconds)
      .sort((a, b) => a - b);
    const errors = detection(row.errors);
    const slow = detection(row.slow);
    return `| ${row.guards} | ${row.rate} | ${rateCell(falseRollbacks, n)} | ${pct(stuck, n)} | ${quantile(promoted, 0.5)} s / ${quantile(promoted, 0.95)} s | ${errors.rate} | ${errors.times} | ${slow.rate} | ${slow.times} |`;
  });
  return [...header, ...lines].join("\n");
}

export interface EdgeResult {
  guards: string;
  rate: number;
  canary: string;
  outcomes: RolloutOutcome[];
}

/** Canaries exactly at their ceiling: the hardest case for false rollbacks, which α bounds. */
export function formatEdgeTable(rows: readonly EdgeResult[]): string {
  const lines = rows.map((row) => {
    const n = row.outcomes.length;
    const of = (result: RolloutOutcome["result"]): number => row.outcomes.filter((o) => o.result === result).length;
    return `| ${row.guards} | ${row.rate} | ${row.canary} | ${rateCell(of("rolled_back"), n)} | ${pct(of("promoted"), n)} | ${pct(of("stuck"), n)} |`;
  });
  return ["| guards | req/s | canary | rolled back | promoted | stuck |", "|---|---:|---|---:|---:|---:|", ...lines].join("\n");
}

/** Replaces (or appends) one `## title` section of docs/benchmarks.md, leaving the others as they are. */
export function writeSection(title: string, body: string): void {
  const file = path.join(import.meta.dirname, "..", "..", "docs", "benchmarks.md");
  const existing = fs.existsSync(file)
    ? fs.readFileSync(file, "utf8")
    : "# Benchmarks\n\nEach section is the latest run of one bench, with the machine, the date and the command.\n";
  const section = `## ${title}\n\n${body}\n`;
  const start = existing.indexOf(`\n## ${title}\n`);
  if (start === -1) {
    fs.writeFileSync(file, `${existing.trimEnd()}\n\n${section}`);
    return;
  }
  const next = existing.indexOf("\n## ", start + 1);
  const after = next === -1 ? "" : existing.slice(next);
  fs.writeFileSync(file, `${existing.slice(0, start + 1)}${section}${after}`);
}
