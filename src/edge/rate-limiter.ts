export interface RateLimit {
  perSecond: number;
  burst: number;
}

interface Bucket {
  tokens: number;
  /** When `tokens` was last brought up to date (ms, from the injected clock). */
  at: number;
}

/** Enough for a busy site's distinct clients within one refill window; beyond it the stalest buckets go. */
const DEFAULT_MAX_BUCKETS = 50_000;

/**
 * A token bucket per client address for one app, in one worker. Memory is bounded: a bucket idle long
 * enough to have refilled completely is indistinguishable from a new one, so it is dropped by a sweep,
 * and when the map is still full the oldest buckets are dropped (which only ever favours a client).
 */
export class RateLimiter {
  readonly limit: RateLimit;
  private readonly buckets = new Map<string, Bucket>();
  private readonly now: () => number;
  private readonly maxBuckets: number;
  private readonly refillMs: number;
  private lastSweep: number;

  constructor(limit: RateLimit, now: () => number = () => performance.now(), maxBuckets = DEFAULT_MAX_BUCKETS) {
    this.limit = limit;
    this.now = now;
    this.maxBuckets = maxBuckets;
    this.refillMs = (limit.burst / limit.perSecond) * 1_000;
    this.lastSweep = now();
  }

  /** Takes one token for `client`: 0 when allowed, else the seconds (≥ 1) after which a token will be there. */
  take(client: string): number {
    const now = this.now();
    if (now - this.lastSweep >= Math.max(1_000, this.refillMs)) this.sweep(now);
    let bucket = this.buckets.get(client);
    if (bucket === undefined) {
      if (this.buckets.size >= this.maxBuckets) this.evict(now);
      bucket = { tokens: this.limit.burst, at: now };
      this.buckets.set(client, bucket);
    } else {
      bucket.tokens = Math.min(this.limit.burst, bucket.tokens + ((now - bucket.at) / 1_000) * this.limit.perSecond);
      bucket.at = now;
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / this.limit.perSecond));
  }

  size(): number {
    return this.buckets.size;
  }

  private sweep(now: number): void {
    this.lastSweep = now;
    for (const [client, bucket] of this.buckets) if (now - bucket.at >= this.refillMs) this.buckets.delete(client);
  }

  private evict(now: number): void {
    this.sweep(now);
    // Still full: drop the oldest tenth (Map keeps insertion order, close enough to least recently seen).
    let drop = this.buckets.size - this.maxBuckets + Math.ceil(this.maxBuckets / 10);
    for (const client of this.buckets.keys()) {
      if (drop-- <= 0) break;
      this.buckets.delete(client);
    }
  }
}

export function sameLimit(a: RateLimit | null, b: RateLimit | null): boolean {
  return a === b || (a !== null && b !== null && a.perSecond === b.perSecond && a.burst === b.burst);
}
