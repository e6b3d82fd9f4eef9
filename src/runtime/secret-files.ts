import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * Secrets as files: one 0400 file per name in a fresh 0700 directory, in memory (/dev/shm) when the machine has
 * it, else the temp dir; never in the data dir. The runner removes it when the app exits.
 */
export function writeSecretFiles(instanceId: string, secrets: Record<string, string>): string {
  const dir = mkdtempSync(join(memoryBacked() ?? tmpdir(), `rampart-secrets-${instanceId}-`));
  for (const [name, value] of Object.entries(secrets)) writeFileSync(join(dir, name), value, { mode: 0o400, flag: "wx" });
  return dir;
}

export function removeSecretFiles(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

function memoryBacked(): string | null {
  try {
    accessSync("/dev/shm", constants.W_OK);
    return "/dev/shm";
  } catch {
    return null;
  }
}
