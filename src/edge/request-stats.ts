import type { RequestSeries } from "./edge-stats.types.ts";
import { LATENCY_BUCKET_COUNT, latencyBucketIndex } from "./latency-histogram.ts";

export interface FoldedStats {
  fromMs: number;
  toMs: number;
  series: RequestSeries[];
}

/**
 * Folds every finished request into one aggregate per env × app × release × instance × status, so the
 * control plane reads a few dozen series per second instead of one record per request.
 */
export class RequestStats {
  private series = new Map<string, RequestSeries>();
  private fromMs = 0;
  private toMs = 0;
  private readonly wallClock: () => number;

  constructor(wallClock: () => number = Date.now) {
    this.wallClock = wallClock;
  }

  record(env: string, app: string, release: number, instance: string, status: number, durationMs: number): void {
    const key = `${env}\u0000${app}\u0000${release}\u0000${instance}\u0000${status}`;
    let series = this.series.get(key);
    if (series === undefined) {
      series = { env, app, release, instance, status, count: 0, sumMs: 0, buckets: new Array<number>(LATENCY_BUCKET_COUNT).fill(0) };
      this.series.set(key, series);
    }
    series.count++;
    series.sumMs += durationMs;
    (series.buckets[latencyBucketIndex(durationMs)] as number)++;
    const now = this.wallClock();
    if (this.fromMs === 0) this.fromMs = now;
    this.toMs = now;
  }

  /** Returns what was folded since the last call and starts over. */
  drain(): FoldedStats {
    const out: FoldedStats = { fromMs: this.fromMs, toMs: this.toMs, series: [...this.series.values()] };
    this.series = new Map();
    this.fromMs = 0;
    this.toMs = 0;
    return out;
  }
}
