import type { TimerClock } from "./clock.ts";

/** A background loop a module starts with the platform and stops with it. */
export interface PeriodicLoop {
  start(): void;
  /** Ends the wait between rounds at once and resolves when the round in progress (if any) has finished. */
  stop(): Promise<void>;
  readonly running: boolean;
}

/**
 * Runs `round` again and again, `everyMs` apart from start to start (at once again when a round took longer),
 * until stopped. A round that throws is handed to `onError` and the next one runs as usual: one busy moment of
 * the database must not end alerting or paging. The waits go through `clock`, so a fake clock drives it in tests,
 * and a stop aborts the wait, so SIGTERM is not held up by a loop sleeping out its interval.
 */
export function periodicLoop(
  clock: TimerClock,
  everyMs: number | (() => number),
  round: () => Promise<void> | void,
  onError: (error: unknown) => void,
): PeriodicLoop {
  let running = false;
  let stopping = new AbortController();
  let loop: Promise<void> | undefined;
  const run = async () => {
    while (running) {
      const started = clock.now();
      try {
        await round();
      } catch (error) {
        onError(error);
      }
      if (!running) break;
      const interval = typeof everyMs === "number" ? everyMs : everyMs();
      await clock.sleep(Math.max(0, interval - (clock.now() - started)), stopping.signal);
    }
  };
  return {
    start() {
      if (running) return;
      running = true;
      stopping = new AbortController();
      loop = run();
    },
    async stop() {
      running = false;
      stopping.abort();
      await loop;
    },
    get running() {
      return running;
    },
  };
}
