import { readFile, writeFile, mkdir } from "node:fs/promises";
import { dirname } from "node:path";

export interface TargetResult {
  name: string;
  /** Saturation throughput (wrk), or undefined when the target was skipped. */
  requestsPerSec: number;
  saturationErrors: number;
  p50Ms: number;
  p99Ms: number;
  fixedErrors: number;
  /** The proxy's CPU per request at saturation, µs (undefined for direct). */
  cpu: { userUs: number; sysUs: number } | undefined;
}

export interface Machine {
  nproc: number;
  cpu: string;
  node: string;
  nginx: string;
  date: string;
}

/** The results table as markdown (also what the terminal shows). */
export function formatTable(results: TargetResult[], rate: number): string {
  const nginx = results.find((r) => r.name === "nginx");
  // Saturation-only variants (p99 0) are listed without latency columns.
  const direct = results.find((r) => r.name === "direct");
  const lines = [
    `| target | req/s (saturation) | ratio vs nginx | proxy CPU per request (user + sys) | p50 @ ${rate} req/s | p99 @ ${rate} req/s | added p99 vs direct | errors (all runs) |`,
    "|---|---:|---:|---:|---:|---:|---:|---:|",
  ];
  for (const r of results) {
    if (r.p99Ms === 0) {
      const ratio = nginx === undefined ? "n/a" : `${(r.requestsPerSec / nginx.requestsPerSec).toFixed(2)}x`;
      lines.push(`| ${r.name} | ${Math.round(r.requestsPerSec)} | ${ratio} | ${cpuText(r)} | — | — | — | ${r.saturationErrors} |`);
      continue;
    }
    const ratio = nginx === undefined ? "n/a" : `${(r.requestsPerSec / nginx.requestsPerSec).toFixed(2)}x`;
    const added = direct === undefined || r === direct ? "—" : `${(r.p99Ms - direct.p99Ms).toFixed(2)} ms`;
    lines.push(
      `| ${r.name} | ${Math.round(r.requestsPerSec)} | ${ratio} | ${cpuText(r)} | ${r.p50Ms.toFixed(2)} ms | ${r.p99Ms.toFixed(2)} ms | ${added} | ${r.saturationErrors + r.fixedErrors} |`,
    );
  }
  return lines.join("\n");
}

function cpuText(r: TargetResult): string {
  if (r.cpu === undefined) return "—";
  return `${(r.cpu.userUs + r.cpu.sysUs).toFixed(1)} µs (${r.cpu.userUs.toFixed(1)} + ${r.cpu.sysUs.toFixed(1)})`;
}

/** Replaces (or appends) the "## Edge" section of docs/benchmarks.md, leaving other sections alone. */
export async function writeEdgeSection(path: string, section: string): Promise<void> {
  let text = "";
  try {
    text = await readFile(path, "utf8");
  } catch {
    text = "# Benchmarks\n\nEach section is the latest run of one bench, with the machine, the date and the command.\n";
  }
  const start = text.search(/^## Edge\s*$/m);
  if (start === -1) {
    text = `${text.trimEnd()}\n\n${section.trimEnd()}\n`;
  } else {
    const rest = text.slice(start + 1);
    const next = rest.search(/^## /m);
    const end = next === -1 ? text.length : start + 1 + next;
    text = `${text.slice(0, start)}${section.trimEnd()}\n${end < text.length ? `\n${text.slice(end)}` : ""}`;
  }
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, text);
}
