import { Agent, request } from "undici";

export interface OpenLoopOptions {
  url: string;
  rate: number;
  durationMs: number;
  /** Gives up on one request after this long (an error). */
  timeoutMs?: number;
  /** Requests in flight beyond this are not sent and count as errors, so a stalled target cannot exhaust the generator. */
  maxInflight?: number;
  /** Stops sending before `durationMs` (a rollback drill loads until its rollback is done); in-flight requests finish. */
  signal?: AbortSignal;
  /** Called about once a second with what is known so far. */
  onProgress?: (progress: { elapsedMs: number; sent: number; errors: number; inflight: number }) => void;
}

export interface OpenLoopMeasurements {
  sent: number;
  ok: number;
  errors: number;
  statuses: Record<string, number>;
  /** Of answered requests, ms from the intended send time to the end of the response body, sorted. */
  latencies: number[];
  elapsedMs: number;
}

const TICK_MS = 2;

/**
 * Open-loop load: request i is due at start + i/rate whether or not earlier ones have answered, and its latency is
 * counted from that due time, not from when it went out. A target that stalls therefore shows its stall in every
 * request that was due meanwhile (no coordinated omission: the generator never waits for the system it measures).
 */
export async function runOpenLoop(options: OpenLoopOptions): Promise<OpenLoopMeasurements> {
  const { url, rate, durationMs } = options;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const maxInflight = options.maxInflight ?? Math.max(256, Math.ceil(rate * 5));
  const agent = new Agent({ connections: Math.min(maxInflight, 1024), keepAliveTimeout: 10_000 });
  const total = Math.floor((rate * durationMs) / 1000);
  const m: OpenLoopMeasurements = { sent: 0, ok: 0, errors: 0, statuses: {}, latencies: [], elapsedMs: 0 };
  const pending = new Set<Promise<void>>();
  const start = performance.now();
  let next = 0;
  let lastProgress = start;
  const fire = (due: number) => {
    m.sent++;
    const done = request(url, { dispatcher: agent, headersTimeout: timeoutMs, bodyTimeout: timeoutMs })
      .then(async (response) => {
        await response.body.dump();
        const key = String(response.statusCode);
        m.statuses[key] = (m.statuses[key] ?? 0) + 1;
        if (response.statusCode >= 500) m.errors++;
        else m.ok++;
        m.latencies.push(performance.now() - due);
      })
      .catch((error: unknown) => {
        const key = error instanceof Error && "code" in error ? String(error.code) : "error";
        m.statuses[key] = (m.statuses[key] ?? 0) + 1;
        m.errors++;
      })
      .finally(() => pending.delete(done));
    pending.add(done);
  };
  while (next < total && options.signal?.aborted !== true) {
    const now = performance.now();
    while (next < total && start + (next * 1000) / rate <= now) {
      const due = start + (next * 1000) / rate;
      next++;
      if (pending.size >= maxInflight) {
        m.sent++;
        m.errors++;
        m.statuses.skipped = (m.statuses.skipped ?? 0) + 1;
      } else fire(due);
    }
    if (options.onProgress && now - lastProgress >= 1000) {
      lastProgress = now;
      options.onProgress({ elapsedMs: now - start, sent: m.sent, errors: m.errors, inflight: pending.size });
    }
    await new Promise((resolve) => setTimeout(resolve, TICK_MS));
  }
  await Promise.all(pending);
  await agent.close();
  m.elapsedMs = performance.now() - start;
  m.latencies.sort((a, b) => a - b);
  return m;
}

/** The value below which `q` of the sorted values lie (nearest rank); 0 for none. */
export function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? 0;
}
