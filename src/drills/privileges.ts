import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The data-dir drills need privileges a developer's machine may not give: mounting a tmpfs (full), and running
 * the platform as `nobody` (read-only: file permissions do not bind root). The tests skip them, with the reason,
 * where these probes fail.
 */
const ROOT = process.getuid?.() === 0;

export function canMountTmpfs(): boolean {
  if (!ROOT) return false;
  const dir = mkdtempSync(join(tmpdir(), "rampart-mount-probe-"));
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", dir], { stdio: "ignore" });
    execFileSync("umount", [dir], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Root can switch to nobody, and nobody can read this checkout (to run `rampart up` from it). */
export function canRunAsNobody(): boolean {
  if (!ROOT) return false;
  const main = fileURLToPath(new URL("../cli/main.ts", import.meta.url));
  const probe = spawnSync(process.execPath, ["-e", `require("node:fs").readFileSync(${JSON.stringify(main)})`], {
    uid: 65534,
    gid: 65534,
    stdio: "ignore",
  });
  return probe.status === 0;
}
