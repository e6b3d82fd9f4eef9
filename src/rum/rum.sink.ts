import type { EdgeStats } from "../edge/edge-stats.types.ts";
import { boundsOf } from "../edge/rum-stats.ts";
import { logger } from "../shared/logger.ts";
import type { MetricsStore } from "../telemetry/metrics.store.ts";
import type { EdgeStatsSink } from "../traffic/edge-controller.ts";
import { RUM_JS_ERRORS, RUM_METRIC_NAMES } from "./rum-metrics.ts";
import type { RumStore } from "./rum.store.ts";

/** A week of per-second RUM rows: enough to compare releases deployed days apart. */
const KEEP_MS = 7 * 86_400_000;
const PRUNE_EVERY_MS = 600_000;

/**
 * Files the RUM series of each edge collection twice: into rum_stats (durable; `rampart rum` and canary guards read
 * it) and into the metrics store's one-second rings (alert rules read them: lcp_p75(5m) > 2500).
 */
export class RumSink implements EdgeStatsSink {
  readonly #store: RumStore;
  readonly #metrics: Pick<MetricsStore, "addHistogram" | "addCounter">;
  #writes: Promise<void> = Promise.resolve();
  #prunedAt = 0;

  constructor(store: RumStore, metrics: Pick<MetricsStore, "addHistogram" | "addCounter">) {
    this.#store = store;
    this.#metrics = metrics;
  }

  acceptEdgeStats(stats: EdgeStats, atMs: number): void {
    const series = stats.rum ?? [];
    if (series.length === 0) return;
    const sec = Math.floor(atMs / 1000);
    for (const s of series) {
      const labels = { env: s.env, app: s.app, release: String(s.release) };
      if (s.metric === "js_errors") this.#metrics.addCounter(RUM_JS_ERRORS, labels, sec, s.count);
      else this.#metrics.addHistogram(RUM_METRIC_NAMES[s.metric], labels, boundsOf(s.metric), sec, s.count, s.sum, s.buckets);
    }
    const prune = atMs - this.#prunedAt >= PRUNE_EVERY_MS;
    if (prune) this.#prunedAt = atMs;
    // Serialized, so the rows of consecutive seconds land in order; a failed write is logged, not retried.
    this.#writes = this.#writes
      .then(async () => {
        await this.#store.insert(atMs, series);
        if (prune) await this.#store.prune(atMs - KEEP_MS);
      })
      .catch((error: unknown) => logger.error({ err: error }, "RUM measurements could not be written"));
  }

  /** Resolves once what was accepted so far is written (stop, tests). */
  flushed(): Promise<void> {
    return this.#writes;
  }
}
