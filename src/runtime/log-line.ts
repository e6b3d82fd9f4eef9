import type { LogStream } from "./log-file-writer.ts";

export interface LogLine {
  time: number;
  stream: LogStream;
  text: string;
  labels: Record<string, string>;
}

/** One instance log to read: the path the runner writes (its `.1` rotation is read too) and labels for its lines. */
export interface LogFile {
  path: string;
  labels: Record<string, string>;
}

// `<ISO-8601 with ms> <out|err> <text>` as formatLogLine writes it.
const LINE = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) (out|err)(?: (.*))?$/s;

/** Parses one line; a line that does not parse is kept whole, stamped with `fallbackTime`, as "out". */
export function parseLogLine(raw: string, fallbackTime: number, labels: Record<string, string>): LogLine {
  const match = LINE.exec(raw);
  if (match !== null) {
    const time = Date.parse(match[1] ?? "");
    const stream = match[2] === "err" ? "err" : "out";
    if (Number.isFinite(time)) return { time, stream, text: match[3] ?? "", labels };
  }
  return { time: fallbackTime, stream: "out", text: raw, labels };
}

export interface LogFilter {
  sinceMs?: number;
  untilMs?: number;
  /** Case-sensitive substring of the text. */
  grep?: string;
}

export function matchesFilter(line: LogLine, filter: LogFilter): boolean {
  if (filter.sinceMs !== undefined && line.time < filter.sinceMs) return false;
  if (filter.untilMs !== undefined && line.time > filter.untilMs) return false;
  if (filter.grep !== undefined && filter.grep !== "" && !line.text.includes(filter.grep)) return false;
  return true;
}
