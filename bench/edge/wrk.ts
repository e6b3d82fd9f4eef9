import { runToEnd } from "./child-process.ts";

export interface WrkResult {
  requestsPerSec: number;
  requests: number;
  /** Non-2xx/3xx responses plus socket errors: a saturation number only counts when this is 0. */
  errors: number;
}

export function wrkArgs(url: string, seconds: number, connections: number): string[] {
  return ["-t1", `-c${connections}`, `-d${seconds}s`, url];
}

/** Closed-loop saturation with wrk (one thread: the other core belongs to the proxy and the upstream). */
export async function runWrk(url: string, seconds: number, connections: number): Promise<WrkResult> {
  const out = await runToEnd("wrk", wrkArgs(url, seconds, connections));
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(out);
  const total = /(\d+) requests in/.exec(out);
  if (rps?.[1] === undefined || total?.[1] === undefined) throw new Error(`cannot read wrk output:\n${out}`);
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const socketErrors = socket === null ? 0 : socket.slice(1).reduce((n, v) => n + Number(v), 0);
  return { requestsPerSec: Number(rps[1]), requests: Number(total[1]), errors: non2xx + socketErrors };
}
