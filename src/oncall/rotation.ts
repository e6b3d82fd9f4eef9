import type { RotationFile } from "./oncall.schema.ts";
import { dayOf, instantOf, wallTimeAt, weekdayOf } from "./zoned-time.ts";

export interface Shift {
  user: string;
  /** Epoch ms of the hand-offs that begin and end the shift. */
  from: number;
  to: number;
}

export interface Override {
  user: string;
  from: number;
  to: number;
}

export interface OnCall extends Shift {
  /** The rotation's person for this moment when an override stands in for them. */
  rotation: string;
  override: boolean;
}

const DEFAULT_START = "2026-01-05";

/**
 * The rotation's shift at `at`. Shifts are counted in local calendar days (DST-free) from the first hand-off on or
 * after `start`; only the hand-off's wall-clock time is converted to an instant, in the zone, so it stays at 09:00.
 */
export function shiftAt(rotation: RotationFile, zone: string, at: number): Shift {
  const period = rotation.every === "week" ? 7 : 1;
  const startDay = dayOf(rotation.start ?? DEFAULT_START);
  const wanted = rotation.handoff.weekday;
  const firstDay = wanted === null ? startDay : startDay + ((wanted - weekdayOf(startDay) + 7) % 7);
  const now = wallTimeAt(zone, at);
  // The last hand-off day at or before today, then one period back if today's hand-off is still ahead.
  let day = firstDay + Math.floor((now.day - firstDay) / period) * period;
  if (instantOf(zone, { day, minute: rotation.handoff.minute }) > at) day -= period;
  const index = Math.round((day - firstDay) / period);
  const n = rotation.people.length;
  return {
    user: rotation.people[((index % n) + n) % n] ?? "",
    from: instantOf(zone, { day, minute: rotation.handoff.minute }),
    to: instantOf(zone, { day: day + period, minute: rotation.handoff.minute }),
  };
}

/** Who is on call at `at`: the latest override covering it (later entries win), else the rotation. */
export function onCallAt(rotation: RotationFile, zone: string, overrides: readonly Override[], at: number): OnCall {
  const shift = shiftAt(rotation, zone, at);
  const covering = overrides.filter((o) => o.from <= at && at < o.to).at(-1);
  if (covering) return { user: covering.user, from: covering.from, to: covering.to, rotation: shift.user, override: true };
  return { ...shift, rotation: shift.user, override: false };
}
