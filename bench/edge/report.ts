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
  const haproxy = results.find((r) => r.name === "haproxy");
  const vs = (r: TargetResult, peer: TargetResult | undefined) =>
    peer === undefined ? "n/a" : `${(r.requestsPerSec / peer.requestsPerSec).toFixed(2)}x`;
  // Saturation-only variants (p99 0) are listed without latency columns.
  const direct = results.find((r) => r.name === "direct");
  const lines = [
    `| target | req/s (saturation) | vs nginx | vs HAProxy | proxy CPU per request (user + sys) | p50 @ ${rate} req/s | p99 @ ${rate} req/s | added p99 vs direct | errors (all runs) |`,
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
  ];
  for (const r of results) {
    if (r.p99Ms === 0) {
      lines.push(
        `| ${r.name} | ${Math.round(r.requestsPerSec)} | ${vs(r, nginx)} | ${vs(r, haproxy)} | ${cpuText(r)} | — | — | — | ${r.saturationErrors} |`,
      );
      continue;
    }
    const added = direct === undefined || r === direct ? "—" : `${(r.p99Ms - direct.p99Ms).toFixed(2)} ms`;
    lines.push(
      `| ${r.name} | ${Math.round(r.requestsPerSec)} | ${vs(r, nginx)} | ${vs(r, haproxy)} | ${cpuText(r)} | ${r.p50Ms.toFixed(2)} ms | ${r.p99Ms.toFixed(2)} ms | ${added} | ${r.saturationErrors + r.fixedErrors} |`,
    );
  }
  return lines.join("\n");
}

/** Issue 18's goals for the edge as deployed, each met or not, from the same run's numbers. */
export function formatGoals(results: TargetResult[], edgeName: string): string {
  const edge = results.find((r) => r.name === edgeName);
  const find = (name: string) => results.find((r) => r.name === name);
  const direct = find("direct");
  if (edge === undefined) return "";
  const lines = ["| goal (issue 18) | measured | met |", "|---|---:|:---:|"];
  const ratio = (peer: TargetResult | undefined, goal: number, what: string) => {
    if (peer === undefined) return lines.push(`| throughput ${what} | ${peer ?? "peer absent"} | n/a |`);
    const x = edge.requestsPerSec / peer.requestsPerSec;
    lines.push(`| throughput ≥ ${goal}x ${what} | ${x.toFixed(2)}x | ${x >= goal ? "yes" : "no"} |`);
  };
  ratio(find("nginx"), 0.9, "nginx");
  ratio(find("haproxy"), 0.9, "HAProxy");
  ratio(find("caddy"), 1, "Caddy (never below)");
  const nginx = find("nginx");
  if (edge.cpu !== undefined && nginx?.cpu !== undefined) {
    const x = (edge.cpu.userUs + edge.cpu.sysUs) / (nginx.cpu.userUs + nginx.cpu.sysUs);
    lines.push(`| CPU per request ≤ 1.3x nginx's | ${x.toFixed(2)}x | ${x <= 1.3 ? "yes" : "no"} |`);
  }
  if (direct !== undefined && edge.p99Ms > 0) {
    const added = edge.p99Ms - direct.p99Ms;
    lines.push(`| added p99 ≤ 1 ms over direct | ${added.toFixed(2)} ms | ${added <= 1 ? "yes" : "no"} |`);
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
