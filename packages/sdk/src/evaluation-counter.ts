/**
 * Evaluation counts per (flag, variation) for stale-flag detection. Results are shared frozen objects, so
 * counting keys a Map by result identity: one get and one set per evaluation, no strings built. Aggregation
 * by flag and variation happens only when a batch is taken.
 */
import type { EvaluationResult } from "./flag-data.ts";

export interface EvaluationCount {
  flag: string;
  variation: string;
  count: number;
}

export interface MetricsBatch {
  fromMs: number;
  toMs: number;
  counts: EvaluationCount[];
}

export class EvaluationCounter {
  #counts = new Map<EvaluationResult, number>();
  #fromMs: number;
  #now: () => number;

  constructor(now: () => number) {
    this.#now = now;
    this.#fromMs = now();
  }

  record(result: EvaluationResult): void {
    this.#counts.set(result, (this.#counts.get(result) ?? 0) + 1);
  }

  /** Takes the counts since the last batch; undefined when nothing was evaluated. */
  take(): MetricsBatch | undefined {
    const toMs = this.#now();
    const fromMs = this.#fromMs;
    this.#fromMs = toMs;
    if (this.#counts.size === 0) return undefined;
    const byKey = new Map<string, EvaluationCount>();
    for (const [result, count] of this.#counts) {
      const id = `${result.key}\u0000${result.variation}`;
      const entry = byKey.get(id);
      if (entry) entry.count += count;
      else byKey.set(id, { flag: result.key, variation: result.variation, count });
    }
    this.#counts.clear();
    return { fromMs, toMs, counts: [...byKey.values()] };
  }

  /** Puts a batch that could not be sent back, so the next one carries it (the window widens to cover both). */
  restore(batch: MetricsBatch): void {
    this.#fromMs = Math.min(this.#fromMs, batch.fromMs);
    for (const c of batch.counts) {
      const result: EvaluationResult = { key: c.flag, variation: c.variation, value: null, reason: "DEFAULT" };
      this.#counts.set(result, c.count);
    }
  }
}
