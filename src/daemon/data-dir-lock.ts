import { z } from "zod";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { isSameProcess, readProcessStartTime } from "../runtime/process-info.ts";
import { writeFileAtomicSync } from "../shared/atomic-file.ts";
import { RampartError } from "../shared/errors.ts";

const heldLockSchema = z.object({ pid: z.number(), pidStart: z.string() });

/**
 * One control plane per data dir: two would fight over the same instances. The lock names a pid and its
 * start time, so a lock left by a kill -9 is recognised as stale and taken over.
 */
export function lockDataDir(dataDir: string): () => void {
  const path = join(dataDir, "control-plane.lock");
  try {
    // A released lock is "{}": only a lock naming a live process other than this one holds the data dir.
    const parsed = heldLockSchema.safeParse(JSON.parse(readFileSync(path, "utf8")));
    const held = parsed.success ? parsed.data : undefined;
    if (held !== undefined && held.pid !== process.pid && isSameProcess(held.pid, held.pidStart)) {
      throw new RampartError("already_running", `another rampart up (pid ${held.pid}) is running on ${dataDir}`, {
        hint: "use that one (rampart status), or stop it first (rampart down)",
      });
    }
  } catch (error) {
    if (error instanceof RampartError) throw error;
  }
  writeFileAtomicSync(path, JSON.stringify({ pid: process.pid, pidStart: readProcessStartTime(process.pid) }));
  return () => writeFileAtomicSync(path, "{}");
}
