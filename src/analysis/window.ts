import { emptyBuckets, mergeBuckets } from "../shared/measurement.ts";

/**
 * What the analysis reads: for one release (or flag variation) over one period, how many requests it answered,
 * how many of them failed (isFailedRequest in src/shared/measurement.ts) and the latency histogram of the ones
 * that did not. Plain counts, so periods from many edges and many seconds are merged by adding them.
 */
export interface SideCounts {
  requests: number;
  /** Failed requests: 5xx answers, including the edge's own 502/503/504 when the release could not be reached. */
  errors: number;
  /** Latency bucket counts of the successful requests (bounds LATENCY_BUCKETS_MS, last +Inf). */
  latency: number[];
  /** Web-vital histograms of the pages this side served (RUM beacons; same bounds, CLS in thousandths), by vital. */
  rum?: Partial<Record<string, number[]>>;
}

export function emptySide(): SideCounts {
  return { requests: 0, errors: 0, latency: emptyBuckets() };
}

export function addSides(a: SideCounts, b: SideCounts): SideCounts {
  return { requests: a.requests + b.requests, errors: a.errors + b.errors, latency: mergeBuckets([a.latency, b.latency]) };
}
