import { runToEnd } from "../edge/child-process.ts";

export interface H2loadResult {
  requests: number;
  succeeded: number;
  failed: number;
  rps: number;
  /** Time for request (ms): mean and the max h2load reports. */
  meanMs: number;
  maxMs: number;
  protocol: string;
}

/**
 * One bounded h2load run: `connections` clients, `streams` concurrent streams each, `seconds` of measurement after
 * `warmup` seconds. `https://` negotiates h2 by ALPN; `http://` speaks h2c with prior knowledge; `h1` forces HTTP/1.1.
 */
export async function runH2load(
  url: string,
  options: { connections: number; streams: number; seconds: number; warmup: number; h1?: boolean },
): Promise<H2loadResult> {
  const args = ["-c", String(options.connections), "-m", String(options.streams), "-t", "1"];
  args.push("-D", String(options.seconds), `--warm-up-time=${options.warmup}`);
  if (options.h1 === true) args.push("--h1");
  args.push(url);
  return parseH2load(await runToEnd("h2load", args));
}

export function parseH2load(out: string): H2loadResult {
  const rps = Number(/finished in [\d.]+m?s, ([\d.]+) req\/s/.exec(out)?.[1] ?? Number.NaN);
  const counts = /requests: (\d+) total, \d+ started, \d+ done, (\d+) succeeded, (\d+) failed/.exec(out);
  const timing = /time for request:\s+([\d.]+)(us|ms|s)\s+([\d.]+)(us|ms|s)\s+([\d.]+)(us|ms|s)/.exec(out);
  const protocol = /Application protocol: (\S+)/.exec(out)?.[1] ?? "?";
  const ms = (value: string | undefined, unit: string | undefined): number =>
    Number(value) * (unit === "us" ? 0.001 : unit === "s" ? 1_000 : 1);
  if (counts === null || timing === null || Number.isNaN(rps)) throw new Error(`could not read h2load's output:\n${out}`);
  return {
    requests: Number(counts[1]),
    succeeded: Number(counts[2]),
    failed: Number(counts[3]),
    rps,
    meanMs: ms(timing[5], timing[6]),
    maxMs: ms(timing[3], timing[4]),
    protocol,
  };
}
