import { closeSync, fstatSync, mkdirSync, openSync, renameSync, writeSync } from "node:fs";
import { dirname } from "node:path";

export type LogStream = "out" | "err";

/** One log line as the runner writes it and the log reader parses it. */
export function formatLogLine(at: number, stream: LogStream, text: string): string {
  return `${new Date(at).toISOString()} ${stream} ${text}\n`;
}

/**
 * Appends timestamped lines to an instance's log file and rotates it at `maxBytes`
 * (renamed to `<path>.1`, one generation kept). Writes are synchronous: the runner does
 * nothing else, and a line is on disk before the next chunk is read.
 */
export class LogFileWriter {
  #path: string;
  #maxBytes: number;
  #fd: number | undefined;
  #size = 0;

  constructor(path: string, maxBytes: number) {
    this.#path = path;
    this.#maxBytes = maxBytes;
    mkdirSync(dirname(path), { recursive: true });
  }

  writeLines(stream: LogStream, lines: readonly string[], at = Date.now()): void {
    if (lines.length === 0) return;
    const data = Buffer.from(lines.map((line) => formatLogLine(at, stream, line)).join(""));
    try {
      const fd = this.#open();
      if (this.#size > 0 && this.#size + data.length > this.#maxBytes) this.#rotate();
      this.#writeAll(this.#fd ?? fd, data);
    } catch {
      // Disk full or log dir removed: losing log lines beats taking the app down with the runner.
      this.close();
    }
  }

  close(): void {
    if (this.#fd === undefined) return;
    try {
      closeSync(this.#fd);
    } catch {
      // already closed; nothing to release
    }
    this.#fd = undefined;
  }

  #open(): number {
    if (this.#fd === undefined) {
      this.#fd = openSync(this.#path, "a", 0o640);
      this.#size = fstatSync(this.#fd).size;
    }
    return this.#fd;
  }

  #rotate(): void {
    this.close();
    renameSync(this.#path, `${this.#path}.1`);
    this.#open();
  }

  #writeAll(fd: number, data: Buffer): void {
    let offset = 0;
    while (offset < data.length) offset += writeSync(fd, data, offset);
    this.#size += data.length;
  }
}
