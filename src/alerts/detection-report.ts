import { readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";

/** One measured fault of the detection drills (src/alerts/detection.e2e.test.ts). */
export interface DetectionResult {
  fault: string;
  rule: string;
  severity: string;
  /** What the fault's start is measured from, e.g. "its first traffic". */
  from: string;
  /** Healthy load before the fault. */
  warmUpMs: number;
  toFiringMs: number;
  toDeliveredMs: number;
  /** Firing → the webhook receiver got it: group_wait, the notifier's tick and the HTTP delivery. */
  groupWaitMs: number;
}

const BEGIN = "<!-- detection:begin (written by npm run drills:detection) -->";
const END = "<!-- detection:end -->";
const GOAL_MS = 60_000;

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length))) ?? [];
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i] ?? 0)).join(" | ")} |`;
  const rule = `| ${widths.map((w) => "-".repeat(w)).join(" | ")} |`;
  return [line(rows[0] ?? []), rule, ...rows.slice(1).map(line)].join("\n");
}

/** The measured table, as it goes between the markers in docs/reliability.md. */
export function detectionTable(results: readonly DetectionResult[], at: Date): string {
  const rows = [
    [
      "fault",
      "default rule",
      "severity",
      "healthy load before",
      "measured from",
      "fault → firing",
      "firing → delivered",
      "fault → delivered",
      "≤ 60 s",
    ],
    ...results.map((r) => [
      r.fault,
      `\`${r.rule}\``,
      r.severity,
      `${Math.round(r.warmUpMs / 1000)} s`,
      r.from,
      seconds(r.toFiringMs),
      seconds(r.groupWaitMs),
      seconds(r.toDeliveredMs),
      r.toDeliveredMs <= GOAL_MS ? "yes" : "**slow**",
    ]),
  ];
  const when = at.toISOString().slice(0, 16).replace("T", " ");
  return [
    `Latest \`npm run drills:detection\`, ${when} UTC, ${cpus().length} CPU, load average ${loadavg()[0]?.toFixed(1)} at the end.`,
    "",
    table(rows),
  ].join("\n");
}

/** Replaces what is between the markers in docs/reliability.md with the table. */
export function writeDetectionTable(
  results: readonly DetectionResult[],
  at: Date,
  file = join(import.meta.dirname, "../../docs/reliability.md"),
): void {
  const text = readFileSync(file, "utf8");
  const start = text.indexOf(BEGIN);
  const end = text.indexOf(END);
  if (start < 0 || end < start) throw new Error(`${file} has no ${BEGIN} … ${END} markers: add them where the table belongs and run again`);
  writeFileSync(file, `${text.slice(0, start + BEGIN.length)}\n${detectionTable(results, at)}\n${text.slice(end)}`);
}
