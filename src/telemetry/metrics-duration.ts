import { parseDuration } from "../config/units.ts";

const DAYS = /^(\d+(?:\.\d+)?)d$/;

/**
 * The manifest's durations (`15s`, `5m`, `1h30m`) plus days (`7d`, `30d`), which metrics windows and
 * retention need and the manifest's parser refuses (it caps at Node's ~24.8-day timer limit).
 */
export function parseMetricsDuration(value: string): { ok: true; value: number } | { ok: false; message: string } {
  const days = DAYS.exec(value.trim());
  if (days) return { ok: true, value: Math.round(Number(days[1]) * 86_400_000) };
  const parsed = parseDuration(value);
  return parsed.ok
    ? { ok: true, value: parsed.value }
    : { ok: false, message: `${JSON.stringify(value)} is not a duration: use e.g. 30s, 5m, 1h or 7d` };
}
