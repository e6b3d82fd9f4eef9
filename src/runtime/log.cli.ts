import type { Command } from "commander";
import { clientFor, printJson, sinceToEpoch, type GlobalOptions } from "../cli/cli-context.ts";
import type { LogLineView } from "./log.routes.ts";

export function registerLogCommands(program: Command, globals: () => GlobalOptions): void {
  program
    .command("logs <app>")
    .description("output of the app's instances, merged by time")
    .requiredOption("--env <env>", "environment")
    .option("--since <duration>", "only the last DURATION, e.g. 10m")
    .option("--grep <text>", "only lines containing TEXT")
    .option("--release <n>", "only this release's instances", (v) => Number.parseInt(v, 10))
    .option("--limit <n>", "at most N lines", (v) => Number.parseInt(v, 10), 200)
    .option("--follow", "keep printing new lines")
    .option("--json", "print JSON (with --follow: one line object per line)")
    .action(async (app: string, options: GlobalOptions & { env: string; since?: string; grep?: string; release?: number; limit: number; follow?: boolean }) => {
      const opts = { ...globals(), ...options };
      const client = clientFor(opts);
      const lines = await client.logs(options.env, app, { since: sinceToEpoch(options.since), grep: options.grep, release: options.release, limit: options.limit });
      if (opts.json && !options.follow) return printJson({ lines });
      for (const line of lines) print(line, opts.json);
      if (!options.follow) return;
      for await (const line of client.streamLogs(options.env, app, { grep: options.grep, release: options.release })) print(line, opts.json);
    });
}

function print(line: LogLineView, json: boolean | undefined): void {
  if (json) return void process.stdout.write(`${JSON.stringify(line)}\n`);
  const stream = line.stream === "err" ? "!" : " ";
  process.stdout.write(`${new Date(line.time).toISOString()} ${line.labels.instance ?? ""} ${stream} ${line.text}\n`);
}
