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

  /**
   * Every new matching line until `signal` aborts (the client went away), each with a cursor to resume from.
   * With `resumeFrom` (a cursor an earlier follow gave), the lines indexed since then come first: the index is
   * read and the live tail subscribed in one synchronous step, so no line falls between the two.
   */
  async follow(
    env: string,
    app: string,
    query: Pick<LogQuery, "grep" | "caseSensitive" | "release" | "instance" | "minLevel">,
    onLine: (line: LogEntry, cursor: string) => void,
    signal: AbortSignal,
    resumeFrom?: string,
  ): Promise<void> {
    const matches = (line: IngestLine) =>
      line.labels.env === env &&
      line.labels.app === app &&
      (query.release === undefined || line.labels.release === query.release) &&
      (query.instance === undefined || line.labels.instance === query.instance) &&
      (query.minLevel === undefined || line.level >= query.minLevel) &&
      (!query.grep || lineMatchesGrep(line.text, query.grep, query.caseSensitive === true));
    const cursor = new LogCursor(resumeFrom);
    const send = (line: IngestLine | StoredLine) => {
      const id = cursor.advance(line.time);
      if (id !== undefined) onLine(toEntry(line), id);
    };
    const missed = cursor.resuming
      ? this.#index
          .query({
            env,
            app,
            release: query.release,
            instance: query.instance,
            minLevel: query.minLevel,
            sinceMs: cursor.time,
            limit: REPLAY_LIMIT,
          })
          .filter(matches)
      : [];
    await new Promise<void>((resolve) => {
      const unsubscribe = this.#hub.subscribe((lines) => {
        for (const line of lines) if (matches(line)) send(line);
      });
      for (const line of missed) send(line);
      const end = () => (unsubscribe(), resolve());
      if (signal.aborted) end();
      else signal.addEventListener("abort", end, { once: true });
    });
  }
}

/** At most this many lines are replayed to a reconnecting follower (the newest, if more were missed). */
const REPLAY_LIMIT = 10_000;

/**
 * Where a follower is: the newest line time it was sent and how many lines of that millisecond it has had,
 * as `TIME-COUNT` (the SSE id). Lines are indexed in arrival order within a millisecond, so a resumed follow
 * skips the COUNT it has and sends the rest. A line older than the cursor (a late backlog) is sent live and
 * does not move it. Grep is applied as the live tail does (a substring), so replay and tail agree.
 */
class LogCursor {
  time = 0;
  #count = 0;
  #skip = 0;
  readonly resuming: boolean;

  constructor(resumeFrom: string | undefined) {
    const match = resumeFrom === undefined ? null : /^(\d{1,15})-(\d{1,9})$/.exec(resumeFrom.trim());
    this.resuming = match !== null;
    if (match) {
      this.time = Number(match[1]);
      this.#count = Number(match[2]);
      this.#skip = this.#count;
    }
  }

  /** The line's cursor, or undefined for a line the follower already had. */
  advance(time: number): string | undefined {
    if (time === this.time && this.#skip > 0) {
      this.#skip--;
      return undefined;
    }
    if (time > this.time) {
      this.time = time;
      this.#count = 1;
      this.#skip = 0;
    } else if (time === this.time) {
      this.#count++;
    }
    return this.#id();
  }

  #id(): string {
    return `${this.time}-${this.#count}`;
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
