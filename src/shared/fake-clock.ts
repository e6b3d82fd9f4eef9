import type { TimerClock } from "./clock.ts";

/**
 * A clock for tests: time only moves when told to, and `sleep` moves it by the time slept (then yields once to
 * the event loop), so a loop that waits 30 s of pauses runs in microseconds and still sees the time go by.
 */
export class FakeClock implements TimerClock {
  #now: number;

  constructor(start = 1_700_000_000_000) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  advance(ms: number): void {
    this.#now += ms;
  }

  /** The signal changes nothing here: a fake sleep never waits. */
  async sleep(ms: number, _signal?: AbortSignal): Promise<void> {
    this.#now += ms;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}
