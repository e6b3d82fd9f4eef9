import type { RequestSeries } from "../edge/edge-stats.types.ts";
import { addBuckets, emptyBuckets, isFailedRequest, mergeBuckets } from "../shared/measurement.ts";

/**
 * What the analysis reads: for one release over one period, how many requests it answered, how many of
 * them failed, and the latency histogram of the ones that did not. Plain counts, so windows from many
 * edges and many seconds are merged by adding them.
 */
export interface SideCounts {
  requests: number;
  /** 5xx answers, including the edge's own 502/503/504 when the release could not be reached. */
  errors: number;
  /** Latency bucket counts of the successful requests (bounds LATENCY_BUCKETS_MS, last +Inf). */
  latency: number[];
}

/** Canary and stable measured over the same period: relative guards are only fair on the same traffic. */
export interface AnalysisWindow {
  fromMs: number;
  toMs: number;
  canary: SideCounts;
  stable: SideCounts;
}

/**
 * A failed request is a 5xx. 4xx are the client's doing (a bad token, a missing page) and a new release
 * does not cause more of them in a way analysis could tell from users' mistakes, so they are ignored.
 */
export function isFailedStatus(status: number): boolean {
  return isFailedRequest(status);
}

export function emptySide(): SideCounts {
  return { requests: 0, errors: 0, latency: emptyBuckets() };
}

export function emptyWindow(fromMs = 0, toMs = 0): AnalysisWindow {
  return { fromMs, toMs, canary: emptySide(), stable: emptySide() };
}

export function addSides(a: SideCounts, b: SideCounts): SideCounts {
  return { requests: a.requests + b.requests, errors: a.errors + b.errors, latency: mergeBuckets([a.latency, b.latency]) };
}

/** Merging empty windows (fromMs 0) keeps the other's period, so a fold can start from emptyWindow(). */
export function mergeWindows(a: AnalysisWindow, b: AnalysisWindow): AnalysisWindow {
  const starts = [a.fromMs, b.fromMs].filter((ms) => ms > 0);
  return {
    fromMs: starts.length === 0 ? 0 : Math.min(...starts),
    toMs: Math.max(a.toMs, b.toMs),
    canary: addSides(a.canary, b.canary),
    stable: addSides(a.stable, b.stable),
  };
}

/**
 * Adds one edge series to a side. A failed request's latency (a fast 502, a 30 s timeout) says how it
 * failed, not how fast the release is, so it is judged by the error check alone.
 */
export function addSeries(side: SideCounts, series: RequestSeries): void {
  side.requests += series.count;
  if (isFailedStatus(series.status)) {
    side.errors += series.count;
    return;
  }
  addBuckets(side.latency, series.buckets);
}

export interface WindowSelector {
  env: string;
  app: string;
  canaryRelease: number;
  stableRelease: number;
}

/** Folds one drain of the edge's stats (or several, concatenated) into a window of one canary rollout. */
export function windowFromSeries(
  stats: { fromMs: number; toMs: number; series: readonly RequestSeries[] },
  selector: WindowSelector,
): AnalysisWindow {
  const window = emptyWindow(stats.fromMs, stats.toMs);
  for (const series of stats.series) {
    if (series.env !== selector.env || series.app !== selector.app) continue;
    if (series.release === selector.canaryRelease) addSeries(window.canary, series);
    else if (series.release === selector.stableRelease) addSeries(window.stable, series);
  }
  return window;
}
