import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from "node:fs";

/** Readers (and a process killed mid-write) never see a half-written file: write a temp file, fsync, rename. */
export function writeFileAtomicSync(path: string, text: string, mode = 0o644): void {
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    const fd = openSync(tmp, "w", mode);
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (error) {
    // A failed write (disk full) must not leave its partial temp file behind in the data dir either.
    try {
      rmSync(tmp, { force: true });
    } catch {
      // read-only: there is no temp file to remove
    }
    throw error;
  }
}
