/**
 * Parsers for the value notations of rampart.yaml: durations (`1m30s`), percentages (`0.5%`)
 * and ratios (`1.5x`). They return a result instead of throwing so the schema can report every
 * bad value at once, each message naming what was given and what is expected.
 */

export type UnitResult = { ok: true; value: number } | { ok: false; message: string };

const DURATION_UNITS_MS = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1_000, ms: 1 } as const;
/** Node's timers hold at most 2^31-1 ms (about 24.8 days); a longer one would fire after 1 ms instead. */
export const MAX_DURATION_MS = 2 ** 31 - 1;
/** Look-back windows and retention (`--since 90d`, RAMPART_LOG_RETENTION) are not timers: they may be longer. */
export const MAX_WINDOW_MS = 400 * 86_400_000;

// Units must come largest first and at most once, so `1m30s` is fine and `30s1m` is not.
const DURATION = /^(?:(\d+(?:\.\d+)?)d)?(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m(?!s))?(?:(\d+(?:\.\d+)?)s)?(?:(\d+(?:\.\d+)?)ms)?$/;
const PERCENT = /^(\d+(?:\.\d+)?)\s?%$/;
const RATIO = /^(\d+(?:\.\d+)?)x$/;

/** How a value appears in messages: strings quoted as the user wrote them, nothing as "nothing". */
export function showValue(value: unknown): string {
  if (value === undefined || value === null) return "nothing";
  if (typeof value === "string") return JSON.stringify(value);
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  return String(value);
}

/**
 * The one duration parser: the manifest, every CLI option and every API parameter that takes a duration use it
 * (`500ms`, `30s`, `5m`, `1h`, `7d`, `1h30m`). `maxMs` defaults to what a timer can hold; windows pass MAX_WINDOW_MS.
 */
export function parseDuration(value: unknown, options: { maxMs?: number } = {}): UnitResult {
  if (typeof value === "number") {
    return { ok: false, message: `${showValue(value)} is not a duration: add a unit, e.g. ${value}s` };
  }
  const match = typeof value === "string" ? DURATION.exec(value.trim()) : null;
  if (match === null || match.slice(1).every((part) => part === undefined)) {
    return { ok: false, message: `${showValue(value)} is not a duration, e.g. 1s` };
  }
  const [, d, h, m, s, ms] = match;
  const total =
    Number(d ?? 0) * DURATION_UNITS_MS.d +
    Number(h ?? 0) * DURATION_UNITS_MS.h +
    Number(m ?? 0) * DURATION_UNITS_MS.m +
    Number(s ?? 0) * DURATION_UNITS_MS.s +
    Number(ms ?? 0) * DURATION_UNITS_MS.ms;
  const maxMs = options.maxMs ?? MAX_DURATION_MS;
  if (!(total <= maxMs)) {
    return { ok: false, message: `${showValue(value)} is too long: at most ${formatDuration(maxMs - (maxMs % 3_600_000))}` };
  }
  return { ok: true, value: Math.round(total) };
}

/** `1%` → 0.01: the rest of Rampart computes with fractions. */
export function parsePercent(value: unknown): UnitResult {
  if (typeof value === "number") {
    return { ok: false, message: `${showValue(value)} is not a percentage: add a %, e.g. ${value}%` };
  }
  const match = typeof value === "string" ? PERCENT.exec(value.trim()) : null;
  if (match === null) return { ok: false, message: `${showValue(value)} is not a percentage, e.g. 1% or 0.5%` };
  const percent = Number(match[1]);
  if (percent > 100) return { ok: false, message: `${showValue(value)} is more than 100%` };
  return { ok: true, value: percent / 100 };
}

export function parseRatio(value: unknown): UnitResult {
  if (typeof value === "number") {
    return { ok: false, message: `${showValue(value)} is not a ratio: add an x, e.g. ${value}x` };
  }
  const match = typeof value === "string" ? RATIO.exec(value.trim()) : null;
  if (match === null) return { ok: false, message: `${showValue(value)} is not a ratio, e.g. 1.5x` };
  const ratio = Number(match[1]);
  // Digits beyond what a double holds become Infinity, which JSON (the stored release config) cannot keep.
  if (!Number.isFinite(ratio)) return { ok: false, message: `${showValue(value)} is too large` };
  return { ok: true, value: ratio };
}

const SIZE = /^(\d+(?:\.\d+)?)\s?(b|kb|mb|gb)$/i;
const SIZE_UNITS = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 } as const;
const RATE = /^(\d+(?:\.\d+)?)\s?\/\s?(s|m|h)$/;
const RATE_UNITS_S = { s: 1, m: 60, h: 3600 } as const;

/** `16kb`, `10mb` → bytes (powers of 1024, as nginx reads them). */
export function parseSize(value: unknown): UnitResult {
  if (typeof value === "number") return { ok: false, message: `${showValue(value)} is not a size: add a unit, e.g. ${value}kb` };
  const match = typeof value === "string" ? SIZE.exec(value.trim()) : null;
  if (match === null) return { ok: false, message: `${showValue(value)} is not a size, e.g. 16kb or 10mb` };
  const unit = (match[2] ?? "b").toLowerCase() as keyof typeof SIZE_UNITS;
  const bytes = Math.round(Number(match[1]) * SIZE_UNITS[unit]);
  if (!Number.isSafeInteger(bytes)) return { ok: false, message: `${showValue(value)} is too large` };
  return { ok: true, value: bytes };
}

/** `100/s`, `6000/m` → requests per second. */
export function parseRate(value: unknown): UnitResult {
  const match = typeof value === "string" ? RATE.exec(value.trim()) : null;
  if (match === null) return { ok: false, message: `${showValue(value)} is not a rate, e.g. 100/s or 6000/m` };
  const perSecond = Number(match[1]) / RATE_UNITS_S[(match[2] ?? "s") as keyof typeof RATE_UNITS_S];
  if (perSecond <= 0) return { ok: false, message: `${showValue(value)} would refuse every request: use more than 0` };
  if (!Number.isFinite(perSecond)) return { ok: false, message: `${showValue(value)} is too large` };
  return { ok: true, value: perSecond };
}

/** Formats milliseconds back into the manifest notation, for messages and the starter file. */
export function formatDuration(ms: number): string {
  if (ms === 0) return "0s";
  let rest = ms;
  let out = "";
  for (const [unit, size] of Object.entries(DURATION_UNITS_MS)) {
    const count = Math.floor(rest / size);
    if (count > 0) {
      out += `${count}${unit}`;
      rest -= count * size;
    }
  }
  return out;
}
