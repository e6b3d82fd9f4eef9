import type { InstanceStore } from "./instance.store.ts";
import { followLogs, readLogLines, type LogFile, type LogLine } from "./log-reader.ts";

export interface LogQuery {
  sinceMs?: number;
  untilMs?: number;
  grep?: string;
  release?: number;
  limit: number;
}

const RESCAN_MS = 1_000;

/** Instance output as captured by the runners: search over recent lines, and a live tail. */
export class LogService {
  readonly #instances: InstanceStore;

  constructor(instances: InstanceStore) {
    this.#instances = instances;
  }

  async read(env: string, app: string, query: LogQuery): Promise<LogLine[]> {
    return readLogLines({ ...query, files: await this.#files(env, app, query.release) });
  }

  /** Tails every instance of the app, picking up instances that start later (a deploy mid-tail). */
  async follow(env: string, app: string, query: Omit<LogQuery, "limit" | "sinceMs" | "untilMs">, onLine: (line: LogLine) => void, signal: AbortSignal): Promise<void> {
    const matches = (line: LogLine) => !query.grep || line.text.includes(query.grep);
    while (!signal.aborted) {
      const files = await this.#files(env, app, query.release);
      const round = new AbortController();
      const stop = () => round.abort();
      signal.addEventListener("abort", stop, { once: true });
      const rescan = setInterval(async () => {
        const now = await this.#files(env, app, query.release);
        if (now.length !== files.length || now.some((f, i) => f.path !== files[i]?.path)) round.abort();
      }, RESCAN_MS);
      try {
        await followLogs(files, (line) => matches(line) && onLine(line), { signal: round.signal });
      } finally {
        clearInterval(rescan);
        signal.removeEventListener("abort", stop);
      }
    }
  }

  async #files(env: string, app: string, release: number | undefined): Promise<LogFile[]> {
    const instances = await this.#instances.listForApp(env, app, { release, includeStopped: true });
    return instances.map((i) => ({ path: i.logPath, labels: { env, app, release: String(i.release), instance: i.id } }));
  }
}
