import { readdirSync, readFileSync } from "node:fs";

/**
 * Edge workers left serving by a primary that died (edge-worker.ts waits for a successor before draining).
 * They share the dead primary's process group (the edge is started detached, as a group leader), which is
 * how `rampart down` finds them when no successor ever came.
 */
export function orphanedEdgeWorkers(primaryPid: number): number[] {
  const out: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return out;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === primaryPid) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      // Fields after the last ')' start with field 3 (state); field 5 is the process group.
      const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(rest[2]) !== primaryPid) continue;
      if (readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("edge-worker.ts")) out.push(pid);
    } catch {
      // Gone meanwhile, or not ours to read.
    }
  }
  return out;
}
