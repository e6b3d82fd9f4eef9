import type { FlagVariantSeries } from "./edge-stats.types.ts";
import { addBuckets, emptyBuckets, isFailedRequest, latencyBucketIndex } from "../shared/measurement.ts";

/** Matches FLAG_VARIANT_HEADER in packages/sdk/src/flag-data.ts (the SDK sets it, the edge strips it). */
export const FLAG_VARIANT_HEADER = "x-rampart-flags";
const PAIR = /^([A-Za-z0-9._-]{1,100})=([A-Za-z0-9._-]{1,100})$/;
/** Bounds memory when an app sends unbounded flag or variation names. */
const MAX_SERIES = 10_000;
const MAX_PAIRS_PER_REQUEST = 32;

/**
 * Requests per flag variation, for guarded flag rollouts: the app's SDK names the variations that served a
 * request in a response header; the edge folds each request's status and latency into them. Only requests
 * carrying the header pay for this (a split and a map lookup per pair).
 */
export class FlagVariantStats {
  private series = new Map<string, FlagVariantSeries>();
  /** Pairs refused because the map was full or the header malformed since the last drain. */
  dropped = 0;

  record(env: string, app: string, release: number, header: string, status: number, durationMs: number): void {
    const pairs = header.split(",", MAX_PAIRS_PER_REQUEST);
    const error = isFailedRequest(status);
    const bucket = latencyBucketIndex(durationMs);
    for (const raw of pairs) {
      const match = PAIR.exec(raw.trim());
      if (match === null) {
        this.dropped++;
        continue;
      }
      const flag = match[1] as string;
      const variation = match[2] as string;
      const key = `${env}\u0000${app}\u0000${release}\u0000${flag}\u0000${variation}`;
      let s = this.series.get(key);
      if (s === undefined) {
        if (this.series.size >= MAX_SERIES) {
          this.dropped++;
          continue;
        }
        s = { env, app, release, flag, variation, count: 0, errors: 0, sumMs: 0, buckets: emptyBuckets() };
        this.series.set(key, s);
      }
      s.count++;
      if (error) s.errors++;
      else {
        // Like request_stats for canaries: a fast 500 is not good latency, so only successes are timed.
        s.sumMs += durationMs;
        (s.buckets[bucket] as number)++;
      }
    }
  }

  drain(): FlagVariantSeries[] {
    const out = [...this.series.values()];
    this.series = new Map();
    this.dropped = 0;
    return out;
  }
}

/** Adds worker b's flag series into a (the primary merges its workers' collections). */
export function mergeFlagVariants(into: Map<string, FlagVariantSeries>, series: readonly FlagVariantSeries[]): void {
  for (const s of series) {
    const key = `${s.env}\u0000${s.app}\u0000${s.release}\u0000${s.flag}\u0000${s.variation}`;
    const existing = into.get(key);
    if (existing === undefined) {
      into.set(key, { ...s, buckets: s.buckets.slice() });
      continue;
    }
    existing.count += s.count;
    existing.errors += s.errors;
    existing.sumMs += s.sumMs;
    addBuckets(existing.buckets, s.buckets);
  }
}
