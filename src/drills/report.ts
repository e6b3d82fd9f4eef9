import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import type { DrillOptions, DrillResult } from "./drill.types.ts";

const BEGIN = "<!-- drills:begin (written by npm run drills) -->";
const END = "<!-- drills:end -->";

function seconds(ms: number | null): string {
  return ms === null ? "—" : ms < 10_000 ? `${(ms / 1000).toFixed(2)} s` : `${(ms / 1000).toFixed(1)} s`;
}

/** The table the issue asks for, plus whether each drill's own expectations held. */
export function formatTable(results: readonly DrillResult[]): string {
  const lines = [
    "| drill | requests sent | failed | recovered in | state consistent | expectations |",
    "|---|---:|---:|---:|:---:|:---:|",
    ...results.map(
      (r) =>
        `| ${r.drill} | ${r.sent} | ${r.failed} | ${seconds(r.recoveredMs)} | ${r.consistent ? "yes" : "**no**"} | ${r.passed ? (r.slow.length === 0 ? "met" : "met, **slow**") : "**not met**"} |`,
    ),
  ];
  return lines.join("\n");
}

export function formatNotes(results: readonly DrillResult[]): string {
  return results.map((r) => `- **${r.drill}**: ${r.notes.join("; ") || "—"}`).join("\n");
}

/** The section of docs/reliability.md between the markers: the latest run with machine, date and command. */
export function formatRun(results: readonly DrillResult[], options: DrillOptions, command: string, totalMs: number): string {
  const cpu = cpus()[0]?.model.trim() ?? "unknown CPU";
  const app = options.source
    ? `${options.source} (\`${options.run ?? "?"}\`, health ${options.healthPath ?? "/"})`
    : "the built-in test app (src/testing/test-app.ts)";
  return [
    `Latest \`${command}\`, ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC, ${Math.round(totalMs / 1000)} s in all.`,
    "",
    `- Machine: ${cpus().length} CPU (${cpu}), Node ${process.version}; load generator, control plane, edge and apps share it.`,
    `- Load: ${options.rate} GET/s open loop on loopback through the edge (src/testing/steady-load.ts), bounded per drill; app: ${app}.`,
    "",
    formatTable(results),
    "",
    formatNotes(results),
  ].join("\n");
}

export function writeRun(docPath: string, section: string): void {
  const text = existsSync(docPath) ? readFileSync(docPath, "utf8") : `# Reliability\n\n${BEGIN}\n${END}\n`;
  const start = text.indexOf(BEGIN);
  const end = text.indexOf(END);
  const next =
    start >= 0 && end > start
      ? `${text.slice(0, start + BEGIN.length)}\n${section}\n${text.slice(end)}`
      : `${text.trimEnd()}\n\n${BEGIN}\n${section}\n${END}\n`;
  writeFileSync(docPath, next);
}
