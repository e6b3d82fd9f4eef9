// node:timers/promises' setTimeout, as the client's stream reconnect uses it (a delay that an abort cuts short).
export function setTimeout<T>(ms: number, value?: T, options: { signal?: AbortSignal | undefined } = {}): Promise<T | undefined> {
  return new Promise((resolve, reject) => {
    const { signal } = options;
    if (signal?.aborted) return reject(signal.reason);
    const timer = globalThis.setTimeout(() => {
      signal?.removeEventListener("abort", abort);
      resolve(value);
    }, ms);
    const abort = () => {
      globalThis.clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", abort, { once: true });
  });
}
