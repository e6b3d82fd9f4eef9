import { readFileSync } from "node:fs";

/**
 * Process identity and usage from Linux /proc. A pid alone is not an identity: pids are
 * recycled, so every adopted process is checked against its recorded start time
 * (field 22 of /proc/<pid>/stat, clock ticks since boot), which never changes for a process.
 */

interface StatFields {
  state: string;
  /** Process group id (field 5). */
  pgrp: number;
  utime: number;
  stime: number;
  startTime: string;
  rssPages: number;
}

// Linux USER_HZ and page size; fixed on every architecture Rampart targets.
const CLOCK_TICKS_PER_SECOND = 100;
const PAGE_BYTES = 4096;

function readStat(pid: number): StatFields | null {
  if (!Number.isInteger(pid) || pid <= 0) return null;
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return null;
  }
  // comm (field 2) may itself contain spaces and ')' — everything after the LAST ')' is fixed-format.
  const close = text.lastIndexOf(")");
  if (close < 0) return null;
  const rest = text
    .slice(close + 1)
    .trim()
    .split(/\s+/);
  // rest[0] is field 3 (state), so field n is rest[n - 3].
  const field = (n: number): string | undefined => rest[n - 3];
  const state = field(3);
  const startTime = field(22);
  if (state === undefined || startTime === undefined || !/^\d+$/.test(startTime)) return null;
  return {
    state,
    pgrp: Number(field(5) ?? 0),
    utime: Number(field(14) ?? 0),
    stime: Number(field(15) ?? 0),
    startTime,
    rssPages: Number(field(24) ?? 0),
  };
}

// Z = zombie, X = dead: the process has exited even though its pid still resolves.
function isGone(state: string): boolean {
  return state === "Z" || state === "X" || state === "x";
}

/** Start time of a process (clock ticks since boot, as a string), or null when it does not exist. */
export function readProcessStartTime(pid: number): string | null {
  return readStat(pid)?.startTime ?? null;
}

/** True when `pid` is alive and is the very process that had `startTime` (not a recycled pid). */
export function isSameProcess(pid: number, startTime: string): boolean {
  const stat = readStat(pid);
  return stat !== null && !isGone(stat.state) && stat.startTime === startTime;
}

/** True when `pid` names a live (non-zombie) process. */
export function isAlive(pid: number): boolean {
  const stat = readStat(pid);
  if (stat !== null) return !isGone(stat.state);
  if (!Number.isInteger(pid) || pid <= 0 || readStat(process.pid) !== null) return false;
  // No /proc at all (not Linux): fall back to signal 0, where EPERM still means "exists".
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The process group of a live process, or null (a detached edge or runner leads its own). */
export function readProcessGroup(pid: number): number | null {
  const stat = readStat(pid);
  return stat === null || isGone(stat.state) ? null : stat.pgrp;
}

/** Resident memory and total CPU time (user + system) of a live process, or null. */
export function readProcessUsage(pid: number): { rssBytes: number; cpuSeconds: number } | null {
  const stat = readStat(pid);
  if (stat === null || isGone(stat.state)) return null;
  return {
    rssBytes: stat.rssPages * PAGE_BYTES,
    cpuSeconds: (stat.utime + stat.stime) / CLOCK_TICKS_PER_SECOND,
  };
}
