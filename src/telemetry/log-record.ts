import { parseLogfmt } from "./logfmt.ts";

/** Severity as pino/bunyan number it; OTLP severity numbers and level names map onto these. */
export const LOG_LEVELS = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 } as const;
export type LogLevelName = keyof typeof LOG_LEVELS;
export const logLevelNames = Object.keys(LOG_LEVELS) as LogLevelName[];

/** Where a line came from: an instance's stdout ("out"), stderr ("err"), or an app's OTLP log exporter. */
export type LogSource = "out" | "err" | "otlp";

/** Labels of one log stream: every line of a stream shares them, so they are stored once per stream. */
export interface LogStreamLabels {
  env: string;
  app: string;
  release: number;
  instance: string;
  stream: LogSource;
}

/** One line as ingested: labels, epoch ms, level (LOG_LEVELS value) and the raw text as written. */
export interface IngestLine {
  labels: LogStreamLabels;
  time: number;
  level: number;
  text: string;
}

const NAMED: Record<string, number> = {
  trace: 10,
  debug: 20,
  info: 30,
  information: 30,
  notice: 30,
  warn: 40,
  warning: 40,
  error: 50,
  err: 50,
  fatal: 60,
  critical: 60,
  crit: 60,
  panic: 60,
  emerg: 60,
  alert: 60,
};
// A plain-text line that starts with a level word: "ERROR ...", "[warn] ...", "INFO: ...".
const PLAIN_LEVEL = /^\[?(trace|debug|info|notice|warn|warning|error|err|fatal|critical|crit|panic)\b/i;

export function levelFromName(name: string): number | undefined {
  // slog writes levels between the named ones as an offset: "WARN+2", "INFO-4".
  return NAMED[name.toLowerCase()] ?? NAMED[name.toLowerCase().replace(/[+-]\d+$/, "")];
}

export function levelName(level: number): LogLevelName {
  let name: LogLevelName = "trace";
  for (const candidate of logLevelNames) if (level >= LOG_LEVELS[candidate]) name = candidate;
  return name;
}

/**
 * The level of one line of output. JSON lines (pino and bunyan write a number, winston a name) and logfmt
 * lines (Go's slog, logrus: `level=warning`) give it themselves; a plain line may start with a level word;
 * otherwise stdout is info and stderr is error, since uncaught exceptions and console.error go to stderr.
 * Only a line that starts with "{" is parsed as JSON.
 */
export function levelOfLine(text: string, stream: LogSource): number {
  if (text.charCodeAt(0) === 123 /* { */) {
    const level = jsonLevel(text);
    if (level !== undefined) return level;
  } else {
    const logfmt = parseLogfmt(text);
    const named = logfmt?.level ?? logfmt?.lvl;
    const level = named === undefined ? undefined : levelFromName(named);
    if (level !== undefined) return level;
    const match = PLAIN_LEVEL.exec(text);
    if (match !== null) return NAMED[(match[1] ?? "").toLowerCase()] ?? 30;
  }
  return stream === "err" ? LOG_LEVELS.error : LOG_LEVELS.info;
}

function jsonLevel(text: string): number | undefined {
  const record = parseJsonObject(text);
  if (record === undefined) return undefined;
  const level = record.level ?? record.severity ?? record.lvl;
  if (typeof level === "number" && Number.isFinite(level)) return level;
  if (typeof level === "string") return levelFromName(level);
  return undefined;
}

function parseJsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

// Keys the loggers add to every record: not interesting as fields of one line.
const ENVELOPE_KEYS = new Set(["level", "severity", "lvl", "msg", "message", "time", "timestamp", "v", "pid", "hostname", "name"]);

/**
 * Message and fields of a JSON line (pino `msg`, bunyan `msg`, winston `message`) or a logfmt line (slog and
 * logrus `msg`); a plain line is its own message.
 */
export function messageAndFields(text: string): { message: string; fields: Record<string, unknown> } {
  const record = text.charCodeAt(0) === 123 ? parseJsonObject(text) : parseLogfmt(text);
  if (record === undefined) return { message: text, fields: {} };
  const message = record.msg ?? record.message;
  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(record)) if (!ENVELOPE_KEYS.has(key)) fields[key] = value;
  return { message: typeof message === "string" ? message : "", fields };
}
