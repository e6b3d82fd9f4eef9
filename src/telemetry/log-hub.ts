import type { IngestLine } from "./log-record.ts";

export type LogListener = (lines: readonly IngestLine[]) => void;

/** Fans committed lines out to live tails (`rampart logs --follow`); a listener that throws is dropped. */
export class LogHub {
  readonly #listeners = new Set<LogListener>();

  subscribe(listener: LogListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  publish(lines: readonly IngestLine[]): void {
    for (const listener of this.#listeners) {
      try {
        listener(lines);
      } catch {
        this.#listeners.delete(listener);
      }
    }
  }
}
