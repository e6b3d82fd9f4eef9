import type { Command } from "commander";
import { ago, clientFor, printJson, printTable, sinceToEpoch, type GlobalOptions } from "../cli/cli-context.ts";
import { durationOption, positiveIntOption } from "../cli/cli-usage.ts";
import { RampartError } from "../shared/errors.ts";
import { formatTraceTree } from "./trace-tree.ts";

interface TracesOptions {
  env?: string;
  route?: string;
  slowest?: boolean;
  errors?: boolean;
  since?: string;
  limit: number;
}

export function registerTraceCommands(program: Command, globals: () => GlobalOptions): void {
  const traces = program
    .command("traces")
    .argument("[app]", "app whose traces to list")
    .description("list an app's traces (the edge's sampled requests and traces that began in the app); `traces show ID` prints one")
    .option("--env <env>", "environment")
    .option("--route <prefix>", "only requests of this route, e.g. /search")
    .option("--slowest", "longest first (default: newest first)")
    .option("--errors", "only failed requests")
    .option("--since <duration>", "only the last DURATION, e.g. 15m or 7d", durationOption, "15m")
    .option("--limit <n>", "at most N traces", positiveIntOption, 20)
    .option("--json", "print JSON")
    .action(async (app: string | undefined, options: TracesOptions & GlobalOptions) => {
      const opts = { ...globals(), ...options };
      if (app === undefined || options.env === undefined) {
        throw new RampartError(
          "invalid_option",
          "usage: rampart traces APP --env ENV [--route /search] [--slowest] [--since 15m], or rampart traces show TRACE_ID",
        );
      }
      const list = await clientFor(opts).traces(options.env, app, {
        route: options.route,
        slowest: options.slowest,
        errors: options.errors,
        since: sinceToEpoch(options.since),
        limit: options.limit,
      });
      if (opts.json) return printJson({ traces: list });
      if (list.length === 0)
        return void process.stdout.write(
          `no traces of ${app} in ${options.env}${options.route ? ` on ${options.route}` : ""} since ${options.since}\n`,
        );
      printTable(
        ["TRACE", "REQUEST", "PATH", "STATUS", "DURATION", "SPANS", "WHEN"],
        list.map((t) => [
          t.traceId,
          t.name,
          t.path ?? "-",
          t.httpStatus === null ? (t.error ? "error" : "-") : String(t.httpStatus),
          `${t.durationMs.toFixed(1)} ms`,
          String(t.spans),
          ago(t.startMs),
        ]),
      );
    });
  traces
    .command("show <traceId>")
    .description("one trace as a tree of spans with durations, the edge's span at the root")
    .option("--json", "print JSON")
    .action(async (traceId: string, _options: GlobalOptions, command: Command) => {
      // `traces` has a --json of its own, which commander gives `--json` to when it follows `show ID`.
      const opts = { ...globals(), ...command.optsWithGlobals<GlobalOptions>() };
      const trace = await clientFor(opts).trace(traceId);
      if (opts.json) return printJson(trace);
      process.stdout.write(`trace ${trace.traceId} (${trace.spans.length} spans)\n${formatTraceTree(trace.spans)}`);
    });
}
