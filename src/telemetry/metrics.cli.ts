import type { Command } from "commander";
import { clientFor, printJson, printTable, type GlobalOptions } from "../cli/cli-context.ts";
import { durationOption } from "../cli/cli-usage.ts";
import { RampartError } from "../shared/errors.ts";
import { SUMMARY_BY, type SummaryRow } from "./metrics.view.ts";

export function registerMetricsCommands(program: Command, globals: () => GlobalOptions): void {
  program
    .command("metrics <app>")
    .description("requests/s, error % and p50/p95/p99 latency of the app's traffic at the edge")
    .requiredOption("--env <env>", "environment")
    .option("--by <label>", `one row per ${SUMMARY_BY.join(" | ")}`)
    .option("--since <duration>", "look-back window, e.g. 5m, 1h, 7d", durationOption, "5m")
    .option("--json", "print JSON")
    .action(async (app: string, options: GlobalOptions & { env: string; by?: string; since: string }) => {
      const opts = { ...globals(), ...options };
      if (options.by !== undefined && !(SUMMARY_BY as readonly string[]).includes(options.by)) {
        throw new RampartError("invalid_option", `--by: expected one of ${SUMMARY_BY.join(", ")}, got ${JSON.stringify(options.by)}`);
      }
      const summary = await clientFor(opts).metrics(options.env, app, {
        by: options.by as (typeof SUMMARY_BY)[number] | undefined,
        since: options.since,
      });
      if (opts.json) return printJson(summary);
      const label = (summary.by ?? "").toUpperCase() || "ALL";
      const rows = [
        ...summary.rows.map((r) => cells(r.key === "" ? "-" : (r.key ?? "-"), r)),
        cells(summary.by ? "total" : "all", summary.total),
      ];
      printTable([label, "REQ/S", "ERR %", "P50", "P95", "P99", "REQUESTS"], rows);
    });
}

function cells(key: string, row: SummaryRow): string[] {
  const ms = (v: number | null) => (v === null ? "-" : v < 10 ? `${v.toFixed(2)}ms` : `${Math.round(v)}ms`);
  return [
    key,
    row.rps.toFixed(row.rps < 10 ? 2 : 1),
    row.errorPercent.toFixed(2),
    ms(row.p50Ms),
    ms(row.p95Ms),
    ms(row.p99Ms),
    String(row.requests),
  ];
}
