import { addBuckets, emptyBuckets } from "../shared/measurement.ts";

/**
 * Fixed one-second rings: slot = epoch second mod RING_SECONDS, and each slot remembers which second it
 * holds, so a slot last written an hour ago reads as empty instead of as stale data. Memory per series is
 * fixed at creation (no growth with traffic), which is what makes the store's memory bound a product of
 * the series cap.
 */
export const RING_SECONDS = 3600;

/** Counter increases (summed within a second) or gauge values (last write in a second wins). */
export class ScalarRing {
  readonly values = new Float64Array(RING_SECONDS);
  readonly stamps = new Uint32Array(RING_SECONDS);

  add(sec: number, value: number): void {
    const i = sec % RING_SECONDS;
    if (this.stamps[i] !== sec) {
      this.stamps[i] = sec;
      this.values[i] = 0;
    }
    this.values[i] = (this.values[i] as number) + value;
  }

  set(sec: number, value: number): void {
    const i = sec % RING_SECONDS;
    this.stamps[i] = sec;
    this.values[i] = value;
  }

  get(sec: number): number | undefined {
    const i = sec % RING_SECONDS;
    return this.stamps[i] === sec ? this.values[i] : undefined;
  }
}

/** Latency buckets are kept per ten seconds: dense per-second buckets would cost 3600 × buckets × 4 bytes a series. */
export const BUCKET_SLOT_SECONDS = 10;
const BUCKET_SLOTS = RING_SECONDS / BUCKET_SLOT_SECONDS;

/**
 * Histogram deltas: count and sum per second, bucket counts per ten seconds (a quantile over a window reads
 * the ten-second slots the window touches). Counts and sums are float32: a second of one series holds far
 * fewer than 2^24 requests, and a sum of durations needs no more than float32's seven digits. All arrays are
 * allocated up front, so a series costs the same whatever its traffic.
 */
export class HistogramRing {
  readonly counts = new Float32Array(RING_SECONDS);
  readonly sums = new Float32Array(RING_SECONDS);
  readonly stamps = new Uint32Array(RING_SECONDS);
  readonly bucketCount: number;
  readonly buckets: Uint32Array;
  readonly bucketStamps = new Uint32Array(BUCKET_SLOTS);

  constructor(bucketCount: number) {
    this.bucketCount = bucketCount;
    this.buckets = new Uint32Array(BUCKET_SLOTS * bucketCount);
  }

  /** `bucketCounts` are per bucket (not cumulative), one per bound of the series. */
  add(sec: number, count: number, sum: number, bucketCounts: ArrayLike<number>): void {
    const i = sec % RING_SECONDS;
    if (this.stamps[i] !== sec) {
      this.stamps[i] = sec;
      this.counts[i] = 0;
      this.sums[i] = 0;
    }
    this.counts[i] = (this.counts[i] as number) + count;
    this.sums[i] = (this.sums[i] as number) + sum;
    const slot = Math.floor(sec / BUCKET_SLOT_SECONDS);
    const j = slot % BUCKET_SLOTS;
    const base = j * this.bucketCount;
    // Stamps hold slot + 1 so that a zero-filled stamp never matches slot 0.
    if (this.bucketStamps[j] !== slot + 1) {
      this.bucketStamps[j] = slot + 1;
      this.buckets.fill(0, base, base + this.bucketCount);
    }
    const n = Math.min(bucketCounts.length, this.bucketCount);
    for (let b = 0; b < n; b++) {
      const c = bucketCounts[b] as number;
      if (c > 0) this.buckets[base + b] = (this.buckets[base + b] as number) + Math.round(c);
    }
  }

  /** Count increase of second `sec`, or undefined when it holds nothing. */
  count(sec: number): number | undefined {
    const i = sec % RING_SECONDS;
    return this.stamps[i] === sec ? this.counts[i] : undefined;
  }

  /**
   * Adds the window (fromSec, toSec] into `into`: counts and sums of its seconds, bucket counts of every ten-
   * second slot it touches. False when the window holds no second with data.
   */
  addWindow(fromSec: number, toSec: number, into: HistogramWindow): boolean {
    let any = false;
    fromSec = Math.max(fromSec, toSec - RING_SECONDS);
    for (let sec = fromSec + 1; sec <= toSec; sec++) {
      const i = sec % RING_SECONDS;
      if (this.stamps[i] !== sec) continue;
      any = true;
      into.count += this.counts[i] as number;
      into.sum += this.sums[i] as number;
    }
    if (!any) return false;
    const first = Math.floor((fromSec + 1) / BUCKET_SLOT_SECONDS);
    const last = Math.floor(toSec / BUCKET_SLOT_SECONDS);
    for (let slot = Math.max(first, last - BUCKET_SLOTS + 1); slot <= last; slot++) {
      const j = slot % BUCKET_SLOTS;
      if (this.bucketStamps[j] !== slot + 1) continue;
      const base = j * this.bucketCount;
      addBuckets(into.buckets, this.buckets.subarray(base, base + this.bucketCount));
    }
    return true;
  }
}

/** A histogram's deltas summed over some seconds; `buckets` per bucket (not cumulative). */
export interface HistogramWindow {
  count: number;
  sum: number;
  buckets: number[];
}

export function emptyHistogramWindow(bucketCount: number): HistogramWindow {
  return { count: 0, sum: 0, buckets: emptyBuckets(bucketCount) };
}
