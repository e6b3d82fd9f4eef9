import { readdirSync, readFileSync } from "node:fs";
import { readProcessGroup } from "../runtime/process-info.ts";

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
    if (readProcessGroup(pid) !== primaryPid) continue;
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("edge-worker.ts")) out.push(pid);
    } catch {
      // Gone meanwhile, or not ours to read.
    }
  }
  return out;
}
