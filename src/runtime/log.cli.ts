import type { Command } from "commander";
import { clientFor, printJson, sinceToEpoch, type GlobalOptions } from "../cli/cli-context.ts";
import { durationOption, positiveIntOption } from "../cli/cli-usage.ts";
import { followNotices } from "../cli/follow-notice.ts";
import { RampartError } from "../shared/errors.ts";
import { logLevelNames } from "../telemetry/log-record.ts";
import type { LogLineView } from "./log.routes.ts";
import { printEdgeLog } from "../gateway/gateway.cli.ts";

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
  edge?: boolean;
}

export function registerLogCommands(program: Command, globals: () => GlobalOptions): void {
  program
    .command("logs [app]")
    .description("the app's output (stdout, stderr, OTLP logs) from the log index, merged by time")
    .requiredOption("--env <env>", "environment")
    .option("--since <duration>", "only the last DURATION, e.g. 10m or 7d", durationOption)
    .option("--grep <text>", "only lines containing TEXT anywhere (ignoring case; see --case-sensitive)")
    .option("--case-sensitive", "--grep matches case exactly")
    .option("--level <level>", `only this level and above: ${logLevelNames.join(", ")}`)
    .option("--release <n>", "only this release's instances", positiveIntOption)
    .option("--instance <id>", "only this instance")
    .option("--limit <n>", "at most N lines", positiveIntOption, 200)
    .option("--follow", "keep printing new lines (across control-plane restarts)")
    .option("--json", "print JSON (with --follow: one line object per line)")
    .option("--edge", "the edge's access log of the environment instead of an app's output (environments.<env>.access_log)")
    .action(async (app: string | undefined, options: GlobalOptions & LogsOptions) => {
      const opts = { ...globals(), ...options };
      if (options.edge) return printEdgeLog(opts);
      if (app === undefined)
        throw new RampartError("invalid_option", "name the app whose logs to show, or --edge for the edge's access log", {
          hint: `rampart logs APP --env ${options.env}, or rampart logs --edge --env ${options.env}`,
        });
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
      const askedAt = Date.now();
      const lines = await client.logs(options.env, app, { ...filter, since: sinceToEpoch(options.since), limit: options.limit });
      if (opts.json && !options.follow) return printJson({ lines });
      for (const line of lines) print(line, opts.json);
      if (!options.follow) return;
      const follow = { ...followNotices("log stream"), lastEventId: cursorAfter(lines, askedAt) };
      for await (const line of client.streamLogs(options.env, app, filter, undefined, follow)) print(line, opts.json);
    });
}

/**
 * The log stream's id (TIME-COUNT) of the last line printed, so the tail starts right after it: a line written
 * between the read and the tail's start is not lost. With nothing printed, every line since the read began.
 */
function cursorAfter(lines: LogLineView[], askedAt: number): string {
  const last = lines.at(-1);
  if (last === undefined) return `${askedAt}-0`;
  return `${last.time}-${lines.filter((l) => l.time === last.time).length}`;
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
