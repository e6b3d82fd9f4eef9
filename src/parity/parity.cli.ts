import type { Command } from "commander";
import { clientFor, printJson, printTable, type GlobalOptions } from "../cli/cli-context.ts";
import type { AppSide, Drift, ParityReport } from "./parity.types.ts";

/** Exit status when a critical drift is not allowed by rampart.yaml (1 stays "the command failed"). */
export const EXIT_CRITICAL_DRIFT = 3;

export function registerParityCommands(program: Command, globals: () => GlobalOptions): void {
  program
    .command("parity <from> <to>")
    .description(
      `compare two environments (config, secrets by version, instances, limits, routes, health, runtimes, databases, flags, artifacts); exits ${EXIT_CRITICAL_DRIFT} when a critical drift is not allowed`,
    )
    .option("--app <app>", "only this app (flags are compared either way)")
    .option("--json", "print JSON")
    .action(async (from: string, to: string, options: { app?: string; json?: boolean }) => {
      const report = await clientFor({ ...globals(), ...options }).parity({ from, to, app: options.app });
      if (options.json) printJson(report);
      else printReport(report);
      if (report.summary.unallowedCritical > 0) process.exitCode = EXIT_CRITICAL_DRIFT;
    });
}

function printReport(report: ParityReport): void {
  const { from, to } = report;
  for (const { app, from: a, to: b } of report.apps) {
    process.stdout.write(`${app}\n`);
    printTable(
      ["", from, to],
      [
        ["release", release(a), release(b)],
        ["instances", instances(a), instances(b)],
        ["runtime", runtime(a), runtime(b)],
        ...[...new Set([...a.databases, ...b.databases].map((d) => d.name))].map((name) => [
          `db ${name}`,
          database(a, name),
          database(b, name),
        ]),
      ],
    );
    process.stdout.write("\n");
  }
  if (report.drifts.length === 0) process.stdout.write(`no drift between ${from} and ${to}\n`);
  else
    printTable(
      ["severity", "app", "what", from, to, "why"],
      report.drifts.map((d) => [
        d.allowed ? `${d.severity} (allowed)` : d.severity,
        d.app ?? "-",
        d.key,
        show(d.from),
        show(d.to),
        d.message,
      ]),
    );
  const s = report.summary;
  process.stdout.write(
    `\n${s.critical} critical, ${s.warning} warning, ${s.info} info; ${s.allowed} allowed (rampart.yaml parity.allow)${s.unallowedCritical > 0 ? ": critical drift, exit 3" : ""}\n`,
  );
}

const release = (side: AppSide) => (side.release === null ? "not deployed" : `#${side.release} ${side.artifact?.slice(0, 19) ?? ""}`);
const instances = (side: AppSide) => `${side.instances.healthy}/${side.instances.declared ?? 0} healthy`;
const runtime = (side: AppSide) => side.runtimes.map((r) => `${r.name} ${r.version ?? "?"}`).join(", ") || "-";

function database(side: AppSide, name: string): string {
  const db = side.databases.find((d) => d.name === name);
  if (!db) return "not declared";
  if (db.error !== null) return `unreadable: ${db.error.slice(0, 60)}`;
  const rows = db.tables.reduce((n, t) => n + Math.max(0, t.rows), 0);
  const indexes = db.tables.reduce((n, t) => n + t.indexes.length, 0);
  return `${db.tables.length} tables, ~${Math.round(rows)} rows, ${indexes} indexes`;
}

function show(value: Drift["from"]): string {
  if (value === null || value === undefined) return "-";
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return text.length > 40 ? `${text.slice(0, 39)}…` : text;
}
