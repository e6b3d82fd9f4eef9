import { Agent, request } from "undici";
import { isFailedRequest } from "../shared/measurement.ts";

export interface SteadyLoadResult {
  /** Requests issued. */
  sent: number;
  ok: number;
  /** Network errors and statuses >= 500. */
  failed: number;
  /** Scheduled requests not issued because `maxInflight` were already waiting (the target stopped answering). */
  skipped: number;
  /** When the first and the last failure happened (epoch ms), to measure how long an outage lasted. */
  firstFailureAt: number | null;
  lastFailureAt: number | null;
  /** Failures by kind ("HTTP 504", "ECONNREFUSED", …). */
  failureKinds: Record<string, number>;
  byRelease: Record<string, number>;
  /** Latency of answered requests: the 99th percentile and the worst, in ms (a stall shows here, not as a failure). */
  p99Ms: number;
  maxMs: number;
}

export interface SteadyLoad {
  current(): SteadyLoadResult;
  /** Stops issuing, waits for the requests in flight, returns the counts. */
  stop(): Promise<SteadyLoadResult>;
}

export interface SteadyLoadOptions {
  ratePerSecond?: number;
  maxRequests?: number;
  maxMs?: number;
  /** Caps requests in flight so a hung target cannot make the generator itself pile up. */
  maxInflight?: number;
  /** Gives up on one request after this long (counted as a failure). */
  requestTimeoutMs?: number;
}

/**
 * Open-loop GET traffic at a fixed rate (each request is issued on schedule whether or not the earlier ones have
 * answered), so "requests an outage cost" is rate × outage rather than an artefact of how fast a closed loop
 * spins on connection errors. Bounded in count and time; loopback targets only.
 */
export function startSteadyLoad(url: string, options: SteadyLoadOptions = {}): SteadyLoad {
  if (!/^http:\/\/(127\.0\.0\.1|localhost|\[::1\])[:/]/.test(url)) throw new Error(`steady load is for loopback targets only, not ${url}`);
  const rate = options.ratePerSecond ?? 200;
  const maxRequests = options.maxRequests ?? 60_000;
  const maxMs = options.maxMs ?? 120_000;
  const maxInflight = options.maxInflight ?? 64;
  const requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
  const agent = new Agent({
    connections: maxInflight,
    keepAliveTimeout: 30_000,
    headersTimeout: requestTimeoutMs,
    bodyTimeout: requestTimeoutMs,
  });
  const result: SteadyLoadResult = {
    sent: 0,
    ok: 0,
    failed: 0,
    skipped: 0,
    firstFailureAt: null,
    lastFailureAt: null,
    failureKinds: {},
    byRelease: {},
    p99Ms: 0,
    maxMs: 0,
  };
  const latencies: number[] = [];
  const inflight = new Set<Promise<void>>();
  const started = Date.now();
  let scheduled = 0;

  const fail = (kind: string) => {
    const now = Date.now();
    result.failed++;
    result.firstFailureAt ??= now;
    result.lastFailureAt = now;
    result.failureKinds[kind] = (result.failureKinds[kind] ?? 0) + 1;
  };
  const fire = async () => {
    result.sent++;
    const sentAt = performance.now();
    try {
      const response = await request(url, { dispatcher: agent });
      const body = await response.body.text();
      latencies.push(performance.now() - sentAt);
      if (isFailedRequest(response.statusCode)) return fail(`HTTP ${response.statusCode}`);
      result.ok++;
      const release = /"release":"(\d+)"/.exec(body)?.[1] ?? "?";
      result.byRelease[release] = (result.byRelease[release] ?? 0) + 1;
    } catch (error) {
      fail((error as { code?: string }).code ?? (error instanceof Error ? error.message : String(error)));
    }
  };
  const timer = setInterval(() => {
    const elapsed = Date.now() - started;
    if (elapsed > maxMs || scheduled >= maxRequests) return clearInterval(timer);
    const due = Math.min(maxRequests, Math.floor((elapsed * rate) / 1000));
    for (; scheduled < due; scheduled++) {
      if (inflight.size >= maxInflight) {
        result.skipped++;
        continue;
      }
      const p = fire().finally(() => inflight.delete(p));
      inflight.add(p);
    }
  }, 5);

  const snapshot = (): SteadyLoadResult => {
    const sorted = [...latencies].sort((a, b) => a - b);
    const p99Ms = Math.round(sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))] ?? 0);
    return {
      ...result,
      failureKinds: { ...result.failureKinds },
      byRelease: { ...result.byRelease },
      p99Ms,
      maxMs: Math.round(sorted.at(-1) ?? 0),
    };
  };
  return {
    current: snapshot,
    async stop() {
      clearInterval(timer);
      await Promise.all(inflight);
      await agent.close();
      return snapshot();
    },
  };
}
