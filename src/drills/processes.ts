import { readdirSync, readFileSync } from "node:fs";
import { isSameProcess, readProcessStartTime } from "../runtime/process-info.ts";
import { edgePidsByCommandLine } from "../testing/rampart-process.ts";

/** A process as the drills track it: pid plus start time, so a recycled pid is never signalled. */
export interface ProcessIdentity {
  pid: number;
  start: string;
}

export function identify(pid: number): ProcessIdentity | null {
  const start = readProcessStartTime(pid);
  return start === null ? null : { pid, start };
}

function parentOf(pid: number): number | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
    return Number(fields[1]);
  } catch {
    return null;
  }
}

/** Every live descendant of `pid` (e.g. the edge's workers), found through /proc. */
export function descendantsOf(pid: number): ProcessIdentity[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const parent = parentOf(Number(name));
    if (parent !== null) children.set(parent, [...(children.get(parent) ?? []), Number(name)]);
  }
  const found: ProcessIdentity[] = [];
  const queue = [...(children.get(pid) ?? [])];
  // Bounded by the number of processes on the machine.
  while (queue.length > 0) {
    const next = queue.shift() ?? 0;
    const identity = identify(next);
    if (identity) found.push(identity);
    queue.push(...(children.get(next) ?? []));
  }
  return found;
}

export function killIdentified(processes: readonly ProcessIdentity[], signal: NodeJS.Signals = "SIGKILL"): void {
  for (const { pid, start } of processes) {
    if (isSameProcess(pid, start)) process.kill(pid, signal);
  }
}

/**
 * Established TCP connections with `port` at one end: `accepted` where it is the local port (what a listener on
 * it holds), `opened` where it is the remote one (what clients, e.g. the edge, hold to it).
 */
export function establishedWith(port: number): { accepted: number; opened: number } {
  const counts = { accepted: 0, opened: 0 };
  for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text = "";
    try {
      text = readFileSync(file, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const fields = line.trim().split(/\s+/);
      // State 01 = ESTABLISHED; addresses are HEX_IP:HEX_PORT.
      if (fields[3] !== "01") continue;
      if (parseInt(fields[1]?.split(":")[1] ?? "", 16) === port) counts.accepted++;
      if (parseInt(fields[2]?.split(":")[1] ?? "", 16) === port) counts.opened++;
    }
  }
  return counts;
}

/** Edge processes (primaries) started for this data dir, found by their command line whether recorded or not. */
export function edgesOf(dataDir: string): number[] {
  return edgePidsByCommandLine(dataDir);
}
