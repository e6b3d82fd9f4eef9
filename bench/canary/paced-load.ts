import { Agent, request } from "undici";
import { isFailedRequest } from "../../src/shared/measurement.ts";

export interface PacedLoad {
  /** Requests answered with a status >= 500 or not answered at all, per release label seen. */
  counts(): { sent: number; failed: number; byRelease: Record<string, number> };
  stop(): Promise<void>;
}

/**
 * Open-loop load at a fixed rate (requests are issued on schedule whether or not earlier ones returned),
 * bounded by `maxMs`, against loopback only.
 */
export function pacedLoad(url: string, ratePerSecond: number, maxMs: number): PacedLoad {
  const agent = new Agent({ connections: 16, keepAliveTimeout: 30_000 });
  const state = { sent: 0, failed: 0, byRelease: {} as Record<string, number> };
  const inflight = new Set<Promise<void>>();
  const started = Date.now();
  const fire = async () => {
    state.sent++;
    try {
      const response = await request(url, { dispatcher: agent });
      const body = await response.body.text();
      if (isFailedRequest(response.statusCode)) state.failed++;
      const release = /"release":"(\d+)"/.exec(body)?.[1] ?? "error";
      state.byRelease[release] = (state.byRelease[release] ?? 0) + 1;
    } catch {
      state.failed++;
    }
  };
  const tick = setInterval(() => {
    const due = Math.floor(((Date.now() - started) * ratePerSecond) / 1000);
    if (Date.now() - started > maxMs) return clearInterval(tick);
    while (state.sent < due) {
      const p = fire().finally(() => inflight.delete(p));
      inflight.add(p);
    }
  }, 5);
  return {
    counts: () => ({ sent: state.sent, failed: state.failed, byRelease: { ...state.byRelease } }),
    async stop() {
      clearInterval(tick);
      await Promise.all(inflight);
      await agent.close();
    },
  };
}
