import type { Command } from "commander";
import { ago, clientFor, type GlobalOptions, printJson, printTable } from "../cli/cli-context.ts";
import { RampartError } from "../shared/errors.ts";
import type { CheckView } from "./checks.types.ts";

export function registerChecksCommand(program: Command, globals: () => GlobalOptions): void {
  const checks = program
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
  registerHeartbeatUrlCommand(checks, globals);
}

/** `rampart checks heartbeat-url APP NAME --env ENV`: what a cron job holds instead of an API token. */
function registerHeartbeatUrlCommand(checks: Command, globals: () => GlobalOptions): void {
  checks
    .command("heartbeat-url")
    .description("print a heartbeat's ping URL: a job POSTs to it to report in, with no API token (it can do nothing else)")
    .argument("<app>", "the app whose rampart.yaml declares the heartbeat (apps.<app>.heartbeats)")
    .argument("<name>", "the heartbeat's name")
    .option("--env <env>", "the environment (required)")
    .option("--json", "print JSON")
    .action(async (app: string, name: string, options: GlobalOptions & { env?: string; json?: boolean }) => {
      // `checks` has its own --env and --json, which commander gives the parent wherever they are written.
      const parent = checks.opts<{ env?: string; json?: boolean }>();
      const env = options.env ?? parent.env;
      if (env === undefined)
        throw new RampartError("invalid_option", "heartbeat-url needs the heartbeat's environment", {
          hint: `rampart checks heartbeat-url ${app} ${name} --env ENV`,
        });
      const opts = { ...globals(), ...options, json: options.json ?? parent.json };
      const url = await clientFor(opts).heartbeatUrl(env, app, name);
      if (opts.json) return printJson({ url });
      process.stdout.write(`${url}\n\nKeep it like a password: anyone with it can report this heartbeat in. From the job:\n`);
      process.stdout.write(`  curl -fsS -X POST --retry 3 '${url}'\n`);
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
