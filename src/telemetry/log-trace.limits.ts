import { MAX_WINDOW_MS, parseDuration, parseSize } from "../config/units.ts";
import { RampartError } from "../shared/errors.ts";

/** Retention of the log index and the trace store; each falls back to its store's default when absent. */
export interface LogTraceLimits {
  logMaxAgeMs?: number;
  logMaxBytes?: number;
  traceMaxAgeMs?: number;
  traceMaxSpans?: number;
}

/**
 * The platform-wide retention settings from `rampart up`'s environment: RAMPART_LOG_RETENTION (e.g. 7d, 36h),
 * RAMPART_LOG_MAX_SIZE (e.g. 1gb, 500mb), RAMPART_TRACE_RETENTION, RAMPART_TRACE_MAX_SPANS. They are not per app,
 * so they are not in rampart.yaml. A bad value stops start-up with the variable named.
 */
export function limitsFromEnv(env: NodeJS.ProcessEnv): LogTraceLimits {
  const limits: LogTraceLimits = {};
  const age = (name: string): number | undefined => {
    const value = env[name];
    if (value === undefined || value === "") return undefined;
    const parsed = parseDuration(value, { maxMs: MAX_WINDOW_MS });
    const ms = parsed.ok ? parsed.value : Number.NaN;
    if (!(ms > 0)) throw new RampartError("invalid_setting", `${name}: ${JSON.stringify(value)} is not a retention, e.g. 7d, 36h or 90m`);
    return ms;
  };
  limits.logMaxAgeMs = age("RAMPART_LOG_RETENTION");
  limits.traceMaxAgeMs = age("RAMPART_TRACE_RETENTION");
  const size = env.RAMPART_LOG_MAX_SIZE;
  if (size !== undefined && size !== "") {
    const parsed = parseSize(size);
    if (!parsed.ok || parsed.value < 1024 ** 2)
      throw new RampartError(
        "invalid_setting",
        `RAMPART_LOG_MAX_SIZE: ${parsed.ok ? `${JSON.stringify(size)} is under 1mb` : parsed.message}, e.g. 1gb or 500mb`,
      );
    limits.logMaxBytes = parsed.value;
  }
  const spans = env.RAMPART_TRACE_MAX_SPANS;
  if (spans !== undefined && spans !== "") {
    const n = Number(spans);
    if (!Number.isSafeInteger(n) || n < 1)
      throw new RampartError(
        "invalid_setting",
        `RAMPART_TRACE_MAX_SPANS: ${JSON.stringify(spans)} is not a whole number of spans above 0, e.g. 2000000`,
      );
    limits.traceMaxSpans = n;
  }
  return limits;
}
