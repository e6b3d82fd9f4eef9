import { type Command, InvalidArgumentError } from "commander";
import { clientFor, printJson, type GlobalOptions } from "../cli/cli-context.ts";
import { durationOption, positiveIntOption } from "../cli/cli-usage.ts";
import { parseDuration } from "../config/units.ts";
import { RampartError } from "../shared/errors.ts";
import { compare, summarize } from "./load-result.ts";
import { runOpenLoop } from "./open-loop.ts";
import { AppUsageSampler } from "./app-usage.ts";
import { parseThreshold, type Threshold } from "./thresholds.ts";

/** Exit status when a threshold failed (1 stays "the command failed"). */
export const EXIT_THRESHOLD_FAILED = 4;

const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]", "::1"]);

function thresholdOption(value: string, previous: Threshold[] = []): Threshold[] {
  try {
    return [...previous, parseThreshold(value)];
  } catch (error) {
    throw new InvalidArgumentError(error instanceof Error ? error.message : String(error));
  }
}

interface LoadTestOptions extends GlobalOptions {
  env: string;
  rate: number;
  duration: string;
  route: string;
  threshold?: Threshold[];
  allowProduction?: boolean;
}

export function registerLoadTestCommands(program: Command, globals: () => GlobalOptions): void {
  program
    .command("loadtest <app>")
    .description(
      "open-loop load through the edge at a fixed rate (latency from each request's intended send time); exits 4 when a threshold fails",
    )
    .requiredOption("--env <env>", "the environment (a protected one needs --allow-production)")
    .option("--rate <n>", "requests per second", positiveIntOption, 100)
    .option("--duration <duration>", "how long, e.g. 30s or 2m", durationOption, "30s")
    .option("--route <path>", "the path to request", "/")
    .option("--threshold <expr>", "p50|p90|p95|p99|max<DURATION, errors<PERCENT or rps>N; repeatable", thresholdOption)
    .option("--allow-production", "allow a protected environment (permission platform.manage, audited)")
    .option("--json", "print JSON")
    .action(async (app: string, options: LoadTestOptions) => {
      const opts = { ...globals(), ...options };
      const client = clientFor(opts);
      const env = (await client.status()).environments.find((e) => e.name === options.env);
      if (!env)
        throw new RampartError("unknown_environment", `${options.env} is not an environment of this platform`, {
          hint: "rampart status lists them",
        });
      const url = new URL(options.route.startsWith("/") ? options.route : `/${options.route}`, env.url);
      if (!LOOPBACK.has(url.hostname))
        throw new RampartError(
          "loadtest_refused",
          `${options.env}'s edge listens on ${url.hostname}, not loopback: load tests stay on this machine`,
          {
            hint: "run rampart loadtest on the machine that runs the edge, with the environment bound to 127.0.0.1",
          },
        );
      const durationMs = durationMsOf(options.duration);
      if (env.protected) {
        if (!options.allowProduction)
          throw new RampartError("loadtest_refused", `${options.env} is protected: a load test there needs --allow-production`, {
            hint: `run it in staging (rampart loadtest ${app} --env staging), or add --allow-production (permission platform.manage, audited)`,
          });
        await client.allowProductionLoadTest(options.env, app, { rate: options.rate, durationMs });
      }
      const tty = process.stderr.isTTY === true;
      const pids = (env.apps.find((a) => a.name === app)?.instances ?? []).flatMap((i) => (i.pid === null ? [] : [i.pid]));
      const usage = new AppUsageSampler(pids);
      const measurements = await runOpenLoop({
        url: url.toString(),
        rate: options.rate,
        durationMs,
        onProgress: ({ elapsedMs, sent, errors, inflight }) => {
          usage.sample();
          const line = `${bar(elapsedMs / durationMs)} ${Math.round(elapsedMs / 1000)}s/${Math.round(durationMs / 1000)}s  sent ${sent}  errors ${errors}  in flight ${inflight}`;
          // A terminal gets one line redrawn; a pipe a line every 10 s.
          if (tty) process.stderr.write(`\r${line}`);
          else if (Math.round(elapsedMs / 1000) % 10 === 0) process.stderr.write(`${line}\n`);
        },
      });
      if (tty) process.stderr.write("\n");
      const result = {
        ...summarize(measurements, { url: url.toString(), rate: options.rate, durationMs }, options.threshold ?? []),
        app: usage.finish(),
      };
      const { previous } = await client.recordLoadTest(options.env, app, result, options.allowProduction === true);
      if (!result.passed) process.exitCode = EXIT_THRESHOLD_FAILED;
      if (opts.json) return printJson({ ...result, previous });
      const l = result.latencyMs;
      process.stdout.write(
        [
          `${url} at ${result.rate}/s for ${Math.round(durationMs / 1000)}s: ${result.sent} sent, ${result.ok} ok, ${result.errors} errors (${(result.errorRate * 100).toFixed(2)}%), ${result.achievedRps}/s`,
          `latency from intended send time: p50 ${l.p50} ms  p90 ${l.p90} ms  p95 ${l.p95} ms  p99 ${l.p99} ms  max ${l.max} ms`,
          `${app} meanwhile: ${result.app.instances} instance(s), CPU ${result.app.cpuPercent}% of a core, max memory ${Math.round(result.app.maxRssBytes / 1048576)} MiB`,
          ...result.thresholds.map(
            (t) =>
              `${t.ok ? "✓" : "✗"} ${t.threshold} (actual ${t.threshold.startsWith("errors") ? `${(t.actual * 100).toFixed(2)}%` : t.actual})`,
          ),
          ...compare(result, previous),
          "",
        ].join("\n"),
      );
      if (!result.passed) process.stderr.write(`error: ${result.thresholds.filter((t) => !t.ok).length} threshold(s) failed\n`);
    });
}

function durationMsOf(text: string): number {
  const parsed = parseDuration(text);
  if (!parsed.ok || parsed.value <= 0)
    throw new RampartError("invalid_request", `--duration ${text}: a duration above 0 is expected, e.g. 30s`);
  return parsed.value;
}

function bar(fraction: number): string {
  const width = 20;
  const filled = Math.max(0, Math.min(width, Math.round(fraction * width)));
  return `[${"#".repeat(filled)}${".".repeat(width - filled)}]`;
}
