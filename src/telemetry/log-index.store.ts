import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import type { Clock } from "../shared/clock.ts";
import type { IngestLine } from "./log-record.ts";
import { LogSegment, type SegmentQuery, type StoredLine, type TailOffset } from "./log-segment.ts";

export interface LogIndexOptions {
  dir: string;
  clock: Clock;
  /** Lines older than this are dropped, a segment at a time (default 7 days). */
  maxAgeMs?: number;
  /** Total size of the segment files kept (default 1 GiB); the oldest segments go first. */
  maxBytes?: number;
  /** A new segment starts after this long (default 1 hour) or at maxBytes / 16, so retention stays fine-grained. */
  segmentMs?: number;
}

const SEGMENT_FILE = /^seg-(\d{15})\.db$/;
// Open segments beyond the one being written: enough for a week of hourly segments to be searched in a few passes.
const OPEN_SEGMENTS = 24;

/**
 * The log index: a directory of segments (SQLite files with FTS5), the newest one written, all searched newest
 * first. Tail offsets live in the segment being written, committed with the lines they cover.
 */
export class LogIndexStore {
  readonly #dir: string;
  readonly #clock: Clock;
  readonly #maxAgeMs: number;
  readonly #maxBytes: number;
  readonly #segmentMs: number;
  readonly #offsets = new Map<string, TailOffset>();
  readonly #open = new Map<string, LogSegment>();
  #current: LogSegment;
  #currentStart: number;
  #currentBytes = 0;
  #appendsSinceStat = 0;

  constructor(options: LogIndexOptions) {
    this.#dir = options.dir;
    this.#clock = options.clock;
    this.#maxAgeMs = options.maxAgeMs ?? 7 * 24 * 3600_000;
    this.#maxBytes = options.maxBytes ?? 1024 ** 3;
    this.#segmentMs = options.segmentMs ?? 3600_000;
    mkdirSync(this.#dir, { recursive: true, mode: 0o700 });
    const files = this.#segmentFiles();
    const newest = files.at(-1);
    this.#currentStart = newest === undefined ? this.#clock.now() : newest.start;
    this.#current = this.#segment(newest?.name ?? segmentName(this.#currentStart));
    this.#currentBytes = this.#sizeOf(this.#current.path);
    for (const o of this.#current.offsets()) this.#offsets.set(o.path, o);
    // A segment from before the trigram index is not written to any more: new lines go where substrings are found.
    if (!this.#current.trigram) this.#roll();
  }

  /** Where each tailed file was read up to, as last committed. */
  offset(path: string): TailOffset | undefined {
    return this.#offsets.get(path);
  }

  append(lines: readonly IngestLine[], offsets: readonly TailOffset[] = []): void {
    if (lines.length === 0 && offsets.length === 0) return;
    this.#rollIfDue();
    this.#current.append(lines, offsets);
    for (const o of offsets) this.#offsets.set(o.path, o);
    // Stat the file now and then, not per batch: a rough size is enough to decide when to roll.
    if (++this.#appendsSinceStat >= 50) {
      this.#appendsSinceStat = 0;
      this.#currentBytes = this.#sizeOf(this.#current.path);
    }
  }

  /** The newest `limit` matching lines, oldest first. */
  query(q: SegmentQuery): StoredLine[] {
    const found: StoredLine[] = [];
    for (const file of this.#segmentFiles().reverse()) {
      const segment = this.#segment(file.name);
      if (q.sinceMs !== undefined && segment.maxTime < q.sinceMs) continue;
      if (q.untilMs !== undefined && segment.minTime > q.untilMs) continue;
      if (found.length >= q.limit) {
        // Older segments can still hold newer lines (a backlog read after a restart), but not past this bound.
        const cutoff = found.sort(newestFirst)[q.limit - 1]?.time ?? 0;
        if (segment.maxTime < cutoff) break;
      }
      found.push(...segment.query(q));
    }
    return found.sort(newestFirst).slice(0, q.limit).reverse();
  }

  /** Drops segments past the age limit, then the oldest until the total fits; never the one being written. */
  enforceRetention(): { removed: number } {
    const now = this.#clock.now();
    let removed = 0;
    const files = this.#segmentFiles().filter((f) => f.name !== segmentName(this.#currentStart));
    let total = this.#sizeOf(this.#current.path) + files.reduce((sum, f) => sum + this.#sizeOf(join(this.#dir, f.name)), 0);
    for (const file of files) {
      const segment = this.#segment(file.name);
      const tooOld = Math.max(segment.maxTime, file.start) < now - this.#maxAgeMs;
      if (!tooOld && total <= this.#maxBytes) break;
      const size = this.#sizeOf(segment.path);
      this.#drop(file.name);
      total -= size;
      removed++;
    }
    return { removed };
  }

  totalBytes(): number {
    return this.#segmentFiles().reduce((sum, f) => sum + this.#sizeOf(join(this.#dir, f.name)), 0);
  }

  close(): void {
    for (const segment of this.#open.values()) segment.close();
    this.#open.clear();
    this.#current.close();
  }

  #rollIfDue(): void {
    const now = this.#clock.now();
    if (now - this.#currentStart < this.#segmentMs && this.#currentBytes < this.#maxBytes / 16) return;
    this.#roll();
  }

  #roll(): void {
    const start = Math.max(this.#clock.now(), this.#currentStart + 1);
    this.#currentStart = start;
    this.#current = this.#segment(segmentName(start));
    this.#currentBytes = 0;
    // The new segment carries every offset, so reading only the newest segment at start-up is enough; offsets of
    // files that are gone (instances removed) are dropped here, so the set does not grow with every deploy.
    for (const path of [...this.#offsets.keys()]) if (!existsSync(path) && !existsSync(`${path}.1`)) this.#offsets.delete(path);
    this.#current.append([], [...this.#offsets.values()]);
  }

  #segment(name: string): LogSegment {
    const known = this.#open.get(name);
    if (known !== undefined) {
      // Most recently used last, so the first entry is the one to close.
      this.#open.delete(name);
      this.#open.set(name, known);
      return known;
    }
    const segment = new LogSegment(join(this.#dir, name));
    this.#open.set(name, segment);
    const currentName = segmentName(this.#currentStart);
    for (const [openName, open] of this.#open) {
      if (this.#open.size <= OPEN_SEGMENTS + 1) break;
      if (openName === currentName || openName === name) continue;
      open.close();
      this.#open.delete(openName);
    }
    return segment;
  }

  #drop(name: string): void {
    this.#open.get(name)?.close();
    this.#open.delete(name);
    for (const suffix of ["", "-wal", "-shm"]) rmSync(join(this.#dir, name + suffix), { force: true });
  }

  #segmentFiles(): { name: string; start: number }[] {
    return readdirSync(this.#dir)
      .map((name) => ({ name, match: SEGMENT_FILE.exec(name) }))
      .filter((f) => f.match !== null)
      .map((f) => ({ name: f.name, start: Number(f.match?.[1]) }))
      .sort((a, b) => a.start - b.start);
  }

  #sizeOf(path: string): number {
    let size = 0;
    for (const suffix of ["", "-wal"]) {
      try {
        size += statSync(path + suffix).size;
      } catch {
        // not created yet
      }
    }
    return size;
  }
}

function segmentName(startMs: number): string {
  return `seg-${String(startMs).padStart(15, "0")}.db`;
}

function newestFirst(a: StoredLine, b: StoredLine): number {
  return b.time - a.time || b.id - a.id;
}
