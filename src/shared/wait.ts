import { setTimeout as sleep } from "node:timers/promises";

/**
 * Polls `check` until it returns a value other than undefined, or throws `onTimeout()` at the deadline.
 * Used instead of fixed sleeps: state machines and tests wait for a condition, never for a guess.
 */
export async function waitFor<T>(
  check: () => T | undefined | Promise<T | undefined>,
  options: { timeoutMs: number; intervalMs?: number; onTimeout?: () => Error; signal?: AbortSignal },
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    options.signal?.throwIfAborted();
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() >= deadline) throw options.onTimeout?.() ?? new Error(`condition not met within ${options.timeoutMs} ms`);
    await sleep(options.intervalMs ?? 50);
  }
}
