/**
 * The Date header of the edge's own HTTP/1.1 responses (RFC 9110 §6.6.1: an origin with a clock sends one; node:http
 * adds it too). Formatting a date costs about a microsecond; one string per second serves every response of that
 * second, the way node:http caches its own.
 */
let cached: string | undefined;

function expire(): void {
  cached = undefined;
}

/** "Sat, 05 Dec 2026 21:26:03 GMT" for the current second. */
export function httpDate(): string {
  if (cached !== undefined) return cached;
  const now = new Date();
  cached = now.toUTCString();
  // Cleared at the next second's start: a response never carries a date more than a second old.
  setTimeout(expire, 1_000 - now.getMilliseconds()).unref();
  return cached;
}
