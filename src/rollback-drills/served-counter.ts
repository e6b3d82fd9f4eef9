import type { EdgeStats } from "../edge/edge-stats.types.ts";
import type { EdgeStatsSink } from "../traffic/edge-controller.ts";

/**
 * Requests the edge counted per release for one app in one environment, from a moment on: the drill's proof that,
 * after the switch, only the rollback release served. Fed by the edge's per-second collections.
 */
export class ServedCounter implements EdgeStatsSink {
  readonly #env: string;
  readonly #app: string;
  readonly #now: () => number;
  #from = Number.POSITIVE_INFINITY;
  #lastAt = 0;
  readonly #counts = new Map<number, number>();

  constructor(env: string, app: string, now: () => number) {
    this.#env = env;
    this.#app = app;
    this.#now = now;
  }

  /** Counts collections whose first request came at or after `at` (epoch ms). */
  countFrom(at: number): void {
    this.#from = at;
  }

  acceptEdgeStats(stats: EdgeStats): void {
    // When it arrived, not the second it is filed under (that is rounded down).
    this.#lastAt = this.#now();
    if (stats.fromMs === 0 || stats.fromMs < this.#from) return;
    for (const s of stats.series) {
      if (s.env !== this.#env || s.app !== this.#app || s.release === 0) continue;
      this.#counts.set(s.release, (this.#counts.get(s.release) ?? 0) + s.count);
    }
  }

  /** When the last collection arrived (epoch ms; 0 before the first). */
  lastAt(): number {
    return this.#lastAt;
  }

  counts(): Record<string, number> {
    return Object.fromEntries([...this.#counts].map(([release, count]) => [String(release), count]));
  }
}
