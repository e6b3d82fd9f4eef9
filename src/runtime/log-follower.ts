import { open, stat } from "node:fs/promises";
import type { FileHandle } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { parseLogLine } from "./log-line.ts";
import type { LogFile, LogLine } from "./log-line.ts";

export interface FollowOptions {
  signal: AbortSignal;
  pollMs?: number;
  /** Asked every poll for files to follow too (new instances); those are read from their start. */
  discover?: () => Promise<readonly LogFile[]>;
}

// Bounds what one poll reads from one file, so a burst cannot balloon memory.
const MAX_READ_PER_POLL = 4 * 1024 * 1024;

interface Tail {
  file: LogFile;
  handle: FileHandle | undefined;
  ino: number;
  offset: number;
  partial: Buffer;
}

/**
 * Tails instance logs like `tail -F`: lines written after the call, from files that exist now
 * or appear later, across rotations (the old file is read to its end, then the new one from
 * its start). Each poll's lines are delivered merged by time. Resolves when `signal` aborts.
 */
export async function followLogs(files: readonly LogFile[], onLine: (line: LogLine) => void, options: FollowOptions): Promise<void> {
  const pollMs = options.pollMs ?? 200;
  const tails: Tail[] = [];
  for (const file of files) {
    const tail: Tail = { file, handle: undefined, ino: 0, offset: 0, partial: Buffer.alloc(0) };
    // Files present now are followed from their end; files that appear later from their start.
    if (await openTail(tail)) tail.offset = (await tail.handle?.stat())?.size ?? 0;
    tails.push(tail);
  }
  try {
    while (!options.signal.aborted) {
      const batch: LogLine[] = [];
      for (const file of (await options.discover?.()) ?? []) {
        if (!tails.some((t) => t.file.path === file.path))
          tails.push({ file, handle: undefined, ino: 0, offset: 0, partial: Buffer.alloc(0) });
      }
      for (const tail of tails) await poll(tail, batch);
      batch.sort((a, b) => a.time - b.time);
      for (const line of batch) {
        if (options.signal.aborted) break;
        onLine(line);
      }
      await sleep(pollMs, undefined, { signal: options.signal }).catch(() => {});
    }
  } finally {
    for (const tail of tails) await tail.handle?.close().catch(() => {});
  }
}

async function openTail(tail: Tail): Promise<boolean> {
  try {
    const handle = await open(tail.file.path, "r");
    tail.handle = handle;
    tail.ino = (await handle.stat()).ino;
    tail.offset = 0;
    tail.partial = Buffer.alloc(0);
    return true;
  } catch {
    return false;
  }
}

async function poll(tail: Tail, out: LogLine[]): Promise<void> {
  if (tail.handle === undefined) {
    if (!(await openTail(tail))) return;
  }
  await readNew(tail, out);
  const current = await stat(tail.file.path).catch(() => undefined);
  if (current === undefined) return; // rotated and the new file not created yet: keep the old one
  if (current.ino !== tail.ino) {
    // Rotated: the runner no longer writes the old file, so what is left in it is final.
    await readNew(tail, out);
    flushPartial(tail, out, Date.now());
    await tail.handle?.close().catch(() => {});
    tail.handle = undefined;
    if (await openTail(tail)) await readNew(tail, out);
  } else if (current.size < tail.offset) {
    tail.offset = 0; // truncated in place
    tail.partial = Buffer.alloc(0);
    await readNew(tail, out);
  }
}

async function readNew(tail: Tail, out: LogLine[]): Promise<void> {
  const handle = tail.handle;
  if (handle === undefined) return;
  const chunks: Buffer[] = [tail.partial];
  let total = 0;
  while (total < MAX_READ_PER_POLL) {
    const buffer = Buffer.allocUnsafe(64 * 1024);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, tail.offset);
    if (bytesRead === 0) break;
    chunks.push(buffer.subarray(0, bytesRead));
    tail.offset += bytesRead;
    total += bytesRead;
  }
  if (total === 0) return;
  const data = Buffer.concat(chunks);
  const mtime = (await handle.stat()).mtimeMs;
  let start = 0;
  for (let nl = data.indexOf(10, start); nl !== -1; nl = data.indexOf(10, start)) {
    out.push(parseLogLine(data.toString("utf8", start, nl), mtime, tail.file.labels));
    start = nl + 1;
  }
  tail.partial = data.subarray(start);
}

function flushPartial(tail: Tail, out: LogLine[], time: number): void {
  if (tail.partial.length === 0) return;
  out.push(parseLogLine(tail.partial.toString("utf8"), time, tail.file.labels));
  tail.partial = Buffer.alloc(0);
}
