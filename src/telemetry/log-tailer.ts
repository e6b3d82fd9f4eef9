import { closeSync, fstatSync, openSync, readdirSync, readSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import { logger } from "../shared/logger.ts";
import type { LogIndexStore } from "./log-index.store.ts";
import { levelOfLine, type IngestLine, type LogStreamLabels } from "./log-record.ts";
import type { TailOffset } from "./log-segment.ts";

export interface LogTailerOptions {
  /** `<data>/logs`: the runners write `<env>/<app>/<instance>.log` under it. */
  logsDir: string;
  index: LogIndexStore;
  /** How often the files are looked at (default 200 ms: a line is searchable well within 1 s). */
  intervalMs?: number;
  /** Bytes read per pass over all files (default 256 KiB, about 20 ms of work), so a backlog cannot hold the event loop or the heap. */
  chunkBytes?: number;
  /** Told about each batch once it is committed (live tails). */
  onLines?: (lines: readonly IngestLine[]) => void;
}

// `<env>.<app>.r<release>.<slot>`, or `.build` for the release's build output.
const INSTANCE_ID = /\.r(\d+)\.(?:\d+|build)$/;
// `<ISO-8601 with ms> <out|err> <text>` as the runner's formatLogLine writes it; 24 characters of time.
const TIME_CHARS = 24;

/**
 * Ingests the instances' log files into the index: each pass reads what was appended since the committed offset
 * (following a rotation to `<file>.1` first), parses the runner's timestamp and stream marker and the line's level,
 * and commits lines and offsets together, so a restart of the control plane neither loses nor repeats a line.
 */
export class LogTailer {
  readonly #options: LogTailerOptions;
  readonly #chunkBytes: number;
  #timer: NodeJS.Timeout | undefined;
  #running = false;
  // Which file a pass starts with turns round, so under a backlog every instance gets its share of each pass.
  #cursor = 0;

  constructor(options: LogTailerOptions) {
    this.#options = options;
    this.#chunkBytes = options.chunkBytes ?? 256 * 1024;
  }

  start(): void {
    const tick = () => {
      try {
        // Keep reading while files have a backlog (after a restart), yielding to the event loop between passes.
        const more = this.pass();
        this.#timer = setTimeout(tick, more ? 0 : (this.#options.intervalMs ?? 200));
      } catch (error) {
        logger.error({ err: error }, "log ingest pass failed");
        this.#timer = setTimeout(tick, 1000);
      }
    };
    this.#running = true;
    this.#timer = setTimeout(tick, 0);
  }

  stop(): void {
    this.#running = false;
    clearTimeout(this.#timer);
  }

  get running(): boolean {
    return this.#running;
  }

  /** One pass over every instance log; true when some file still has unread bytes. */
  pass(): boolean {
    let more = false;
    const lines: IngestLine[] = [];
    const offsets: TailOffset[] = [];
    const files = this.#files();
    let budget = this.#chunkBytes;
    this.#cursor = files.length === 0 ? 0 : (this.#cursor + 1) % files.length;
    for (let i = 0; i < files.length; i++) {
      if (budget <= 0) {
        more = true;
        break;
      }
      const path = files[(this.#cursor + i) % files.length] as string;
      const result = this.#readFile(path, lines, budget);
      if (result.offset !== undefined) offsets.push(result.offset);
      budget -= result.bytes;
      more ||= result.more;
    }
    this.#options.index.append(lines, offsets);
    if (lines.length > 0) this.#options.onLines?.(lines);
    return more;
  }

  #files(): string[] {
    const files: string[] = [];
    for (const env of safeReaddir(this.#options.logsDir)) {
      for (const app of safeReaddir(join(this.#options.logsDir, env))) {
        for (const name of safeReaddir(join(this.#options.logsDir, env, app)))
          if (name.endsWith(".log")) files.push(join(this.#options.logsDir, env, app, name));
      }
    }
    return files;
  }

  #readFile(path: string, out: IngestLine[], maxBytes: number): { offset?: TailOffset; more: boolean; bytes: number } {
    let stat;
    try {
      stat = statSync(path);
    } catch {
      return { more: false, bytes: 0 };
    }
    const labels = labelsOf(path);
    const known = this.#options.index.offset(path);
    let from = known?.offset ?? 0;
    if (known !== undefined && known.ino !== stat.ino) {
      // Rotated since the last pass: finish the old file (now `<path>.1`) before starting the new one.
      const rotated = readNew(`${path}.1`, known.ino, known.offset, maxBytes, maxBytes >= this.#chunkBytes, labels, out);
      if (rotated.more)
        return { offset: { path, ino: known.ino, offset: rotated.offset }, more: true, bytes: rotated.offset - known.offset };
      from = 0;
    } else if (from > stat.size) {
      from = 0; // truncated
    }
    if (stat.size === from && known?.ino === stat.ino) return { more: false, bytes: 0 };
    const read = readNew(path, stat.ino, from, maxBytes, maxBytes >= this.#chunkBytes, labels, out);
    return { offset: { path, ino: stat.ino, offset: read.offset }, more: read.more, bytes: read.offset - from };
  }
}

/** Reads complete lines of `path` from `offset` (if it is still the file `ino`); a partial last line waits. */
function readNew(
  path: string,
  ino: number,
  offset: number,
  maxBytes: number,
  wholeBudget: boolean,
  labels: Omit<LogStreamLabels, "stream">,
  out: IngestLine[],
): { offset: number; more: boolean } {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch {
    return { offset, more: false };
  }
  try {
    const stat = fstatSync(fd);
    if (stat.ino !== ino || stat.size <= offset) return { offset, more: false };
    const length = Math.min(maxBytes, stat.size - offset);
    const buffer = Buffer.allocUnsafe(length);
    let got = 0;
    while (got < length) {
      const n = readSync(fd, buffer, got, length - got, offset + got);
      if (n === 0) break;
      got += n;
    }
    let end = buffer.lastIndexOf(10, got - 1);
    if (end < 0) {
      // No complete line: wait for its end, or for a pass with the whole budget (what is left of this one may be
      // shorter than the line); a line longer than the whole budget is taken as it is rather than stall on it.
      const cutShort = got === length && stat.size - offset > length;
      if (!cutShort) return { offset, more: false };
      if (!wholeBudget) return { offset, more: true };
      end = got - 1;
    }
    parseChunk(buffer.toString("utf8", 0, end + 1), labels, Date.now(), out);
    const next = offset + end + 1;
    return { offset: next, more: next < stat.size };
  } finally {
    closeSync(fd);
  }
}

export function parseChunk(chunk: string, labels: Omit<LogStreamLabels, "stream">, fallbackTime: number, out: IngestLine[]): void {
  const out1: LogStreamLabels = { ...labels, stream: "out" };
  const err1: LogStreamLabels = { ...labels, stream: "err" };
  let start = 0;
  while (start < chunk.length) {
    let end = chunk.indexOf("\n", start);
    if (end < 0) end = chunk.length;
    const raw = chunk.slice(start, end);
    start = end + 1;
    if (raw.length === 0) continue;
    let time = Number.NaN;
    let stream: "out" | "err" = "out";
    let text = raw;
    const marker = raw.slice(TIME_CHARS + 1, TIME_CHARS + 4);
    if (raw.charCodeAt(TIME_CHARS) === 32 && (marker === "out" || marker === "err")) {
      time = Date.parse(raw.slice(0, TIME_CHARS));
      stream = marker;
      text = raw.slice(TIME_CHARS + 5);
    }
    if (!Number.isFinite(time)) (time = fallbackTime), (stream = "out"), (text = raw);
    out.push({ labels: stream === "out" ? out1 : err1, time, level: levelOfLine(text, stream), text });
  }
}

/** `<logs>/<env>/<app>/<env>.<app>.r<release>.<slot>.log` → labels. */
export function labelsOf(path: string): Omit<LogStreamLabels, "stream"> {
  const parts = path.split("/");
  const instance = basename(path, ".log");
  return { env: parts.at(-3) ?? "", app: parts.at(-2) ?? "", release: Number(INSTANCE_ID.exec(instance)?.[1] ?? 0), instance };
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
