import type { InstanceStore } from "./instance.store.ts";
import { followLogs, readLogLines, type LogFile, type LogLine } from "./log-reader.ts";

export interface LogQuery {
  sinceMs?: number;
  untilMs?: number;
  grep?: string;
  release?: number;
  limit: number;
}

// How often a tail looks for instances started after it began.
const RESCAN_MS = 500;

/** Instance output as captured by the runners: search over recent lines, and a live tail. */
export class LogService {
  readonly #instances: InstanceStore;
  readonly #assertApp: (env: string, app: string) => void;

  /** `assertApp` throws (404) for an environment or app the manifest does not have. */
  constructor(instances: InstanceStore, assertApp: (env: string, app: string) => void) {
    this.#instances = instances;
    this.#assertApp = assertApp;
  }

  /** Refuses an unknown environment or app before a stream is opened for it. */
  check(env: string, app: string): void {
    this.#assertApp(env, app);
  }

  async read(env: string, app: string, query: LogQuery): Promise<LogLine[]> {
    this.#assertApp(env, app);
    return readLogLines({ ...query, files: await this.#files(env, app, query.release) });
  }

  /** Tails every instance of the app, picking up instances that start later (a deploy mid-tail) from their first line. */
  async follow(env: string, app: string, query: Omit<LogQuery, "limit" | "sinceMs" | "untilMs">, onLine: (line: LogLine) => void, signal: AbortSignal): Promise<void> {
    const matches = (line: LogLine) => !query.grep || line.text.includes(query.grep);
    let lastScan = 0;
    const discover = async (): Promise<LogFile[]> => {
      if (Date.now() - lastScan < RESCAN_MS) return [];
      lastScan = Date.now();
      return this.#files(env, app, query.release);
    };
    lastScan = Date.now();
    await followLogs(await this.#files(env, app, query.release), (line) => matches(line) && onLine(line), { signal, discover });
  }

  async #files(env: string, app: string, release: number | undefined): Promise<LogFile[]> {
    const instances = await this.#instances.listForApp(env, app, { release, includeStopped: true });
    return instances.map((i) => ({ path: i.logPath, labels: { env, app, release: String(i.release), instance: i.id } }));
  }
}
