import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

/**
 * CPU time of a process and its children from /proc (Linux), so the bench can say what each proxy
 * spends per request. Unlike throughput, CPU per request barely moves when something else on the
 * machine competes for the cores.
 */
const TICKS_PER_SECOND = ticksPerSecond();

export interface CpuTime {
  userUs: number;
  sysUs: number;
}

/** User and system time of `pid` plus its direct children (the edge's workers, nginx's workers). */
export function cpuTime(pid: number): CpuTime {
  const total: CpuTime = { userUs: 0, sysUs: 0 };
  for (const p of [pid, ...childrenOf(pid)]) {
    const t = ownTime(p);
    total.userUs += t.userUs;
    total.sysUs += t.sysUs;
  }
  return total;
}

function ownTime(pid: number): CpuTime {
  try {
    // Fields after the command (which may contain spaces) start after the last ")"; utime and stime are the 12th and 13th.
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const us = 1e6 / TICKS_PER_SECOND;
    return { userUs: Number(fields[11]) * us, sysUs: Number(fields[12]) * us };
  } catch {
    return { userUs: 0, sysUs: 0 };
  }
}

function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === pid) out.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return out;
}

function ticksPerSecond(): number {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  } catch {
    return 100;
  }
}
