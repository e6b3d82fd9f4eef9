import { closeSync, fsyncSync, openSync, renameSync, writeSync } from "node:fs";

/** Readers (and a process killed mid-write) never see a half-written file: write a temp file, fsync, rename. */
export function writeFileAtomicSync(path: string, text: string, mode = 0o644): void {
  const tmp = `${path}.${process.pid}.tmp`;
  const fd = openSync(tmp, "w", mode);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}
