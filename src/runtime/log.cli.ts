import type { Command } from "commander";
import { clientFor, printJson, sinceToEpoch, type GlobalOptions } from "../cli/cli-context.ts";
import { RampartError } from "../shared/errors.ts";
import { logLevelNames } from "../telemetry/log-record.ts";
import type { LogLineView } from "./log.routes.ts";

interface LogsOptions {
  env: string;
  since?: string;
  grep?: string;
  caseSensitive?: boolean;
  level?: string;
  release?: number;
  instance?: string;
  limit: number;
  follow?: boolean;
}

export function registerLogCommands(program: Command, globals: () => GlobalOptions): void {
  program
    .command("logs <app>")
    .description("the app's output (stdout, stderr, OTLP logs) from the log index, merged by time")
    .requiredOption("--env <env>", "environment")
    .option("--since <duration>", "only the last DURATION, e.g. 10m")
    .option("--grep <text>", "only lines containing TEXT anywhere (ignoring case; see --case-sensitive)")
    .option("--case-sensitive", "--grep matches case exactly")
    .option("--level <level>", `only this level and above: ${logLevelNames.join(", ")}`)
    .option("--release <n>", "only this release's instances", (v) => Number.parseInt(v, 10))
    .option("--instance <id>", "only this instance")
    .option("--limit <n>", "at most N lines", (v) => Number.parseInt(v, 10), 200)
    .option("--follow", "keep printing new lines")
    .option("--json", "print JSON (with --follow: one line object per line)")
    .action(async (app: string, options: GlobalOptions & LogsOptions) => {
      const opts = { ...globals(), ...options };
      if (options.level !== undefined && !(logLevelNames as string[]).includes(options.level)) {
        throw new RampartError("invalid_option", `--level: expected one of ${logLevelNames.join(", ")}, got "${options.level}"`);
      }
      const client = clientFor(opts);
      const filter = {
        grep: options.grep,
        caseSensitive: options.caseSensitive,
        level: options.level,
        release: options.release,
        instance: options.instance,
      };
      const lines = await client.logs(options.env, app, { ...filter, since: sinceToEpoch(options.since), limit: options.limit });
      if (opts.json && !options.follow) return printJson({ lines });
      for (const line of lines) print(line, opts.json);
      if (!options.follow) return;
      for await (const line of client.streamLogs(options.env, app, filter)) print(line, opts.json);
    });
}

function print(line: LogLineView, json: boolean | undefined): void {
  process.stdout.write(`${json ? JSON.stringify(line) : humanLogLine(line)}\n`);
}

/**
 * One line for people: time, instance, level, then the message the line carried (a JSON or logfmt line's
 * msg, not its raw text) and its other fields as key=value; a line without a message shows as written.
 */
export function humanLogLine(line: LogLineView): string {
  const level = line.level.toUpperCase().padEnd(5);
  const fields = Object.entries(line.fields).map(([key, value]) => `${key}=${fieldText(value)}`);
  const body = line.message === "" ? line.text : [line.message, ...fields].join(" ");
  return `${new Date(line.time).toISOString()} ${line.labels.instance ?? ""} ${level} ${body}`;
}

function fieldText(value: unknown): string {
  if (typeof value === "string") return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
  return JSON.stringify(value) ?? String(value);
}
