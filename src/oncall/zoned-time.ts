/**
 * Wall-clock arithmetic in an IANA time zone with nothing but Intl (Temporal is not in Node 24 without a flag).
 * Hand-offs are wall-clock times ("Mon 09:00 in Europe/Berlin"), so a shift spans 167 or 169 hours across a DST
 * change and the hand-off stays at 09:00 local time.
 */

export interface WallTime {
  /** The local calendar date as days since 1970-01-01 (a plain day count, no zone, no DST). */
  day: number;
  /** Minutes after local midnight. */
  minute: number;
}

const DAY_MS = 86_400_000;
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    formatters.set(zone, f);
  }
  return f;
}

/** True when Intl knows the zone (what the manifest checks before anything computes with it). */
export function isTimeZone(zone: string): boolean {
  try {
    formatterFor(zone);
    return true;
  } catch {
    return false;
  }
}

/** The zone's offset from UTC at `at`, in ms (Berlin in summer: +7_200_000). */
export function offsetAt(zone: string, at: number): number {
  const whole = Math.floor(at / 1000) * 1000;
  const parts: Record<string, number> = {};
  for (const p of formatterFor(zone).formatToParts(new Date(whole))) if (p.type !== "literal") parts[p.type] = Number(p.value);
  const asUtc = Date.UTC(parts.year ?? 1970, (parts.month ?? 1) - 1, parts.day ?? 1, parts.hour ?? 0, parts.minute ?? 0, parts.second ?? 0);
  return asUtc - whole;
}

/** The local date and time at instant `at`. */
export function wallTimeAt(zone: string, at: number): WallTime {
  const local = at + offsetAt(zone, at);
  const day = Math.floor(local / DAY_MS);
  return { day, minute: Math.floor((local - day * DAY_MS) / 60_000) };
}

/**
 * The instant of a local wall-clock time, resolved as Temporal's "compatible" disambiguation does: a time that
 * happens twice (autumn) is the earlier one; a time that never happens (the spring gap) moves forward by the gap,
 * so a 02:30 hand-off on the spring-forward night happens at 03:30.
 */
export function instantOf(zone: string, wall: WallTime): number {
  const naive = wall.day * DAY_MS + wall.minute * 60_000;
  const before = offsetAt(zone, naive - DAY_MS);
  const after = offsetAt(zone, naive + DAY_MS);
  const fits = [before, after].map((o) => naive - o).filter((t) => offsetAt(zone, t) === naive - t);
  if (fits.length > 0) return Math.min(...fits);
  return naive - before;
}

/** 0 = Sunday … 6 = Saturday, of a local day count (1970-01-01 was a Thursday). */
export function weekdayOf(day: number): number {
  return (((day + 4) % 7) + 7) % 7;
}

/** Days since 1970-01-01 of an ISO date (YYYY-MM-DD). */
export function dayOf(isoDate: string): number {
  return Math.floor(Date.parse(`${isoDate}T00:00:00Z`) / DAY_MS);
}
