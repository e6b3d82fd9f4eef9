import type { LogHub } from "../telemetry/log-hub.ts";
import { lineMatchesGrep } from "../telemetry/log-grep.ts";
import { levelName, messageAndFields, type IngestLine, type LogLevelName, type LogSource } from "../telemetry/log-record.ts";
import type { SegmentQuery, StoredLine } from "../telemetry/log-segment.ts";

export interface LogQuery {
  sinceMs?: number;
  untilMs?: number;
  /** Text the line contains anywhere, ignoring case unless caseSensitive. */
  grep?: string;
  caseSensitive?: boolean;
  release?: number;
  instance?: string;
  /** Minimum level (LOG_LEVELS value). */
  minLevel?: number;
  limit: number;
}

/** One line as the API returns it: labels, level, and for JSON lines the message and fields parsed out. */
export interface LogEntry {
  time: number;
  stream: LogSource;
  level: LogLevelName;
  text: string;
  message: string;
  fields: Record<string, unknown>;
  labels: Record<string, string>;
}

export interface LogSearch {
  query(q: SegmentQuery): StoredLine[];
}

/** Instance output and OTLP logs from the log index: search by labels, level, time and text, and a live tail. */
export class LogService {
  readonly #index: LogSearch;
  readonly #hub: LogHub;
  readonly #assertApp: (env: string, app: string) => void;

  /** `assertApp` throws (404) for an environment or app the manifest does not have. */
  constructor(index: LogSearch, hub: LogHub, assertApp: (env: string, app: string) => void) {
    this.#index = index;
    this.#hub = hub;
    this.#assertApp = assertApp;
  }

  /** Refuses an unknown environment or app before a stream is opened for it. */
  check(env: string, app: string): void {
    this.#assertApp(env, app);
  }

  async read(env: string, app: string, query: LogQuery): Promise<LogEntry[]> {
    this.#assertApp(env, app);
    return this.#index.query({ env, app, ...query }).map(toEntry);
  }

  /** Every new matching line until `signal` aborts (the client went away). */
  async follow(
    env: string,
    app: string,
    query: Pick<LogQuery, "grep" | "caseSensitive" | "release" | "instance" | "minLevel">,
    onLine: (line: LogEntry) => void,
    signal: AbortSignal,
  ): Promise<void> {
    const matches = (line: IngestLine) =>
      line.labels.env === env &&
      line.labels.app === app &&
      (query.release === undefined || line.labels.release === query.release) &&
      (query.instance === undefined || line.labels.instance === query.instance) &&
      (query.minLevel === undefined || line.level >= query.minLevel) &&
      (!query.grep || lineMatchesGrep(line.text, query.grep, query.caseSensitive === true));
    await new Promise<void>((resolve) => {
      const unsubscribe = this.#hub.subscribe((lines) => {
        for (const line of lines) if (matches(line)) onLine(toEntry(line));
      });
      const end = () => (unsubscribe(), resolve());
      if (signal.aborted) end();
      else signal.addEventListener("abort", end, { once: true });
    });
  }
}

function toEntry(line: IngestLine | StoredLine): LogEntry {
  const { message, fields } = messageAndFields(line.text);
  const { env, app, release, instance, stream } = line.labels;
  return {
    time: line.time,
    stream,
    level: levelName(line.level),
    text: line.text,
    message,
    fields,
    labels: { env, app, release: String(release), instance },
  };
}
