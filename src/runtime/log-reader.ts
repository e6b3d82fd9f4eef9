import { readFileSync, statSync } from "node:fs";
import { matchesFilter, parseLogLine } from "./log-line.ts";
import type { LogFile, LogFilter, LogLine } from "./log-line.ts";

export type { LogFile, LogFilter, LogLine } from "./log-line.ts";
export { followLogs } from "./log-follower.ts";

export interface ReadLogsQuery extends LogFilter {
  files: readonly LogFile[];
  limit: number;
}

/**
 * The newest `limit` matching lines of several instance logs (each with its rotated `.1`),
 * merged by time and returned oldest first.
 */
export function readLogLines(query: ReadLogsQuery): LogLine[] {
  const limit = Math.max(0, Math.floor(query.limit));
  if (limit === 0) return [];
  const merged: LogLine[] = [];
  for (const file of query.files) {
    const lines: LogLine[] = [];
    for (const path of [`${file.path}.1`, file.path]) {
      for (const line of readFileLines(path, file.labels)) if (matchesFilter(line, query)) lines.push(line);
    }
    lines.sort(byTime);
    // Lines older than a file's own newest `limit` can never make the merged newest `limit`.
    merged.push(...lines.slice(-limit));
  }
  // Array.prototype.sort is stable: equal times keep file order, then line order.
  merged.sort(byTime);
  return merged.slice(-limit);
}

function readFileLines(path: string, labels: Record<string, string>): LogLine[] {
  let text: string;
  let mtime: number;
  try {
    text = readFileSync(path, "utf8");
    mtime = statSync(path).mtimeMs;
  } catch {
    return [];
  }
  const raw = text.split("\n");
  if (raw[raw.length - 1] === "") raw.pop();
  return raw.map((line) => parseLogLine(line, mtime, labels));
}

function byTime(a: LogLine, b: LogLine): number {
  return a.time - b.time;
}
