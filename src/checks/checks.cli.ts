import type { Command } from "commander";
import { ago, clientFor, type GlobalOptions, printJson, printTable } from "../cli/cli-context.ts";
import type { CheckView } from "./checks.types.ts";

export function registerChecksCommand(program: Command, globals: () => GlobalOptions): void {
  program
    .command("checks")
    .description("synthetic checks of every app (health path and routes through the edge, apps.<app>.checks) and heartbeats")
    .option("--env <env>", "only this environment")
    .option("--app <app>", "only this app")
    .option("--json", "print JSON")
    .action(async (options: GlobalOptions & { env?: string; app?: string }) => {
      const opts = { ...globals(), ...options };
      const checks = await clientFor(opts).checks({ env: options.env, app: options.app });
      if (opts.json) return printJson({ checks });
      if (checks.length === 0) {
        process.stdout.write(
          "no checks yet: checks run for apps with instances (rampart deploy APP --env ENV), and heartbeats from their first ping\n",
        );
        return;
      }
      const now = Date.now();
      printTable(
        ["ENV", "APP", "CHECK", "TARGET", "STATE", "LAST RESULT", "LATENCY", "SINCE"],
        checks.map((c) => [c.env, c.app, c.name, c.target, c.state, lastResult(c, now), latency(c), ago(c.since, now)]),
      );
    });
}

function lastResult(check: CheckView, now: number): string {
  const last = check.lastResult;
  if (last === null) return "-";
  return `${last.ok ? "ok" : "FAIL"} ${ago(last.at, now)}: ${last.message}`;
}

function latency(check: CheckView): string {
  const ms = check.lastResult?.latencyMs;
  return ms === null || ms === undefined ? "-" : `${Math.round(ms)}ms`;
}
