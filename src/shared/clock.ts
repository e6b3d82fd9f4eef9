/** Time is injected so state machines and statistics can be tested without sleeping. */
export interface Clock {
  now(): number;
}

/** A clock that can also wait: loops (the rollout engine) sleep through it, so a fake clock drives them in tests. */
export interface TimerClock extends Clock {
  /** Resolves after `ms`, or as soon as `signal` aborts (a stopping loop does not wait out its interval). */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: TimerClock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      // The timer is cleared on abort, so a stopped loop leaves nothing keeping the process alive.
      const done = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal?.addEventListener("abort", done, { once: true });
    }),
};
