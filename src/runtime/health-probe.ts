import { request, STATUS_CODES } from "node:http";
import { formatDuration } from "../config/units.ts";

export interface HealthProbeTarget {
  host: string;
  port: number;
  path: string;
  timeoutMs: number;
}

export interface HealthProbeResult {
  ok: boolean;
  status?: number;
  error?: string;
  ms: number;
}

/**
 * One HTTP GET health check. Never rejects: every failure is a result. No connection pooling
 * (agent: false), so each probe also proves the instance still accepts new connections.
 */
export function probeHealth(target: HealthProbeTarget): Promise<HealthProbeResult> {
  const { host, port, path, timeoutMs } = target;
  const started = performance.now();
  const elapsed = (): number => Math.round((performance.now() - started) * 10) / 10;
  return new Promise((resolve) => {
    let done = false;
    let status: number | undefined;
    const finish = (result: Omit<HealthProbeResult, "ms">): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      req.destroy();
      resolve({ ...result, ms: elapsed() });
    };
    const verdict = (code: number): Omit<HealthProbeResult, "ms"> =>
      code >= 200 && code <= 399 ? { ok: true, status: code } : { ok: false, status: code, error: `HTTP ${code}` };

    const req = request({ host, port, path, method: "GET", agent: false, headers: { "user-agent": "rampart-health" } });
    // A status already received counts even if the body is slow; only a missing answer times out.
    const timer = setTimeout(
      () => finish(status !== undefined ? verdict(status) : { ok: false, error: `timed out after ${timeoutMs}ms` }),
      timeoutMs,
    );
    req.on("response", (res) => {
      status = res.statusCode ?? 0;
      res.resume();
      res.on("end", () => finish(verdict(status ?? 0)));
      res.on("error", () => finish(verdict(status ?? 0)));
    });
    req.on("error", (error: NodeJS.ErrnoException) => finish({ ok: false, error: describeError(error, host, port) }));
    req.end();
  });
}

function describeError(error: NodeJS.ErrnoException, host: string, port: number): string {
  switch (error.code) {
    case "ECONNREFUSED":
      return `connection refused by ${host}:${port} (ECONNREFUSED: nothing listens on its PORT yet)`;
    case "ECONNRESET":
      return `connection reset by ${host}:${port} (ECONNRESET)`;
    default:
      return error.code !== undefined ? `${error.code}: ${error.message}` : error.message;
  }
}

/**
 * One probe as a person reads it, for progress lines, `rampart status` and failure messages: the request and what
 * came back (`GET /healthz → 404 Not Found`), the connection error, or how long it waited.
 */
export function describeProbe(path: string, timeoutMs: number, result: HealthProbeResult): string {
  if (result.status !== undefined)
    return `GET ${path} → ${result.status}${STATUS_CODES[result.status] ? ` ${STATUS_CODES[result.status]}` : ""}`;
  if (result.error?.startsWith("timed out")) return `GET ${path} → no answer within ${formatDuration(timeoutMs)}`;
  return `GET ${path} → ${result.error ?? "no answer"}`;
}
