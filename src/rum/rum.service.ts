import { boundsOf, CLS_SCALE, type RumVital } from "../edge/rum-stats.ts";
import type { Clock } from "../shared/clock.ts";
import { bucketQuantile } from "../shared/measurement.ts";
import type { RumAggregate, RumStore } from "./rum.store.ts";
import { type RumRelease, type RumSummary, VITAL_THRESHOLDS, type VitalSummary } from "./rum.types.ts";

/** The p75 of a vital's histogram in its own unit (ms, or CLS); null without reports. */
export function vitalP75(vital: RumVital, aggregate: RumAggregate | undefined): number | null {
  if (aggregate === undefined || aggregate.count === 0) return null;
  const q = bucketQuantile(aggregate.buckets, 0.75, vital === "cls" ? boundsOf("lcp") : boundsOf(vital));
  if (!Number.isFinite(q)) return null;
  return vital === "cls" ? q / CLS_SCALE : q;
}

function summarize(vital: RumVital, aggregate: RumAggregate | undefined): VitalSummary {
  const p75 = vitalP75(vital, aggregate);
  const [good, poor] = VITAL_THRESHOLDS[vital];
  const rating = p75 === null ? null : p75 > poor ? "poor" : p75 > good ? "needs-improvement" : "good";
  return { p75, count: aggregate?.count ?? 0, rating };
}

/** Per release: each web vital's p75 and the JS errors pages reported, over a period (`rampart rum`). */
export class RumService {
  readonly #store: RumStore;
  readonly #clock: Clock;

  constructor(store: RumStore, clock: Clock) {
    this.#store = store;
    this.#clock = clock;
  }

  async summary(env: string, app: string, sinceMs: number): Promise<RumSummary> {
    const since = this.#clock.now() - sinceMs;
    const windows = await this.#store.windows(env, app, since);
    const releases: RumRelease[] = [...windows.entries()]
      .sort(([a], [b]) => b - a)
      .map(([release, metrics]) => {
        const vital = (name: RumVital): VitalSummary => summarize(name, metrics.get(name));
        return {
          release,
          lcp: vital("lcp"),
          inp: vital("inp"),
          cls: vital("cls"),
          fcp: vital("fcp"),
          ttfb: vital("ttfb"),
          jsErrors: metrics.get("js_errors")?.count ?? 0,
        };
      });
    return { env, app, since, releases };
  }
}
