/**
 * Brute force on login (OWASP Authentication CS): failures are counted per user name and per client address, in a
 * sliding window; past the limit, further attempts are refused without checking the password (so a refused attempt
 * costs no argon2 time either) until the window frees up. A success clears the user's count, not the address's:
 * one good password must not launder a spray of guesses against other users from the same address.
 */
export interface ThrottleLimits {
  perUser: number;
  perAddress: number;
  windowMs: number;
}

export const defaultThrottleLimits: ThrottleLimits = { perUser: 5, perAddress: 20, windowMs: 15 * 60_000 };

/** Bounded: the oldest keys are dropped first, so a flood of made-up user names cannot grow memory without end. */
const MAX_KEYS = 10_000;

export class LoginThrottle {
  readonly #limits: ThrottleLimits;
  readonly #failures = new Map<string, number[]>();

  constructor(limits: ThrottleLimits = defaultThrottleLimits) {
    this.#limits = limits;
  }

  /** How many users and addresses are tracked (bounded by MAX_KEYS). */
  get trackedKeys(): number {
    return this.#failures.size;
  }

  /** Milliseconds until an attempt is allowed again, or 0 when it may go ahead. */
  retryAfterMs(user: string, address: string, now: number): number {
    const waits = [
      this.#wait(`u:${user.toLowerCase()}`, this.#limits.perUser, now),
      this.#wait(`a:${address}`, this.#limits.perAddress, now),
    ];
    return Math.max(...waits);
  }

  failed(user: string, address: string, now: number): void {
    this.#add(`u:${user.toLowerCase()}`, now);
    this.#add(`a:${address}`, now);
  }

  succeeded(user: string): void {
    this.#failures.delete(`u:${user.toLowerCase()}`);
  }

  #wait(key: string, limit: number, now: number): number {
    const times = this.#recent(key, now);
    if (times.length < limit) return 0;
    const oldest = times[times.length - limit] ?? now;
    return Math.max(1, oldest + this.#limits.windowMs - now);
  }

  #recent(key: string, now: number): number[] {
    const times = (this.#failures.get(key) ?? []).filter((t) => t > now - this.#limits.windowMs);
    if (times.length === 0) this.#failures.delete(key);
    else this.#failures.set(key, times);
    return times;
  }

  #add(key: string, now: number): void {
    const times = this.#recent(key, now);
    times.push(now);
    this.#failures.delete(key);
    this.#failures.set(key, times);
    if (this.#failures.size > MAX_KEYS) {
      const oldest = this.#failures.keys().next().value;
      if (oldest !== undefined) this.#failures.delete(oldest);
    }
  }
}
