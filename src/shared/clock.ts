/** Time is injected so state machines and statistics can be tested without sleeping. */
export interface Clock {
  now(): number;
}

/** A clock that can also wait: loops (the rollout engine) sleep through it, so a fake clock drives them in tests. */
export interface TimerClock extends Clock {
  sleep(ms: number): Promise<void>;
}

export const systemClock: TimerClock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};
