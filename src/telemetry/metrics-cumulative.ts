/**
 * Turns cumulative readings (a scraped counter, an OTLP cumulative sum or histogram) into the per-second
 * increases the store keeps. The first reading of a series is its baseline (increase 0); a reading below the
 * previous one is a reset (the app restarted), so its whole value is the increase, as Prometheus's rate()
 * treats it. Bounded: past `max` remembered series the oldest are forgotten (they re-baseline).
 */
export class CumulativeDeltas {
  readonly #last = new Map<string, number[]>();
  readonly #max: number;

  constructor(max: number) {
    this.#max = max;
  }

  /** Increases of each component since the previous reading of `key`; all zeros on the first reading. */
  delta(key: string, values: number[]): number[] {
    const previous = this.#last.get(key);
    this.#last.delete(key);
    this.#last.set(key, values);
    if (this.#last.size > this.#max) this.#last.delete(this.#last.keys().next().value as string);
    if (!previous || previous.length !== values.length) return values.map(() => 0);
    const reset = values.some((v, i) => v < (previous[i] as number));
    return values.map((v, i) => (reset ? v : v - (previous[i] as number)));
  }

  forget(prefix: string): void {
    for (const key of this.#last.keys()) if (key.startsWith(prefix)) this.#last.delete(key);
  }
}
