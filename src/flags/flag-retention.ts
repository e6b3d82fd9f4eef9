import { conversion, decide, emptyTotals, meanDifference, type VariationTotals } from "../analysis/experiment-stats.ts";
import type { CohortRow } from "./flag-experiment.store.ts";
import type { ExperimentResults } from "./flag-experiment.view.ts";

const DAY_MS = 86_400_000;
const isoDay = (day: number) => new Date(day * DAY_MS).toISOString().slice(0, 10);

/**
 * Retention per variation: of the users first exposed on a day d with day d+N already over (today > d+N, so everyone
 * counted had the whole of day d+N to come back), the share seen again on a day N or more days after d. "Seen" is a later
 * day's evaluation reported by the SDK (it reports each user's exposure once per day) or any tracked event. The
 * rate is a Bernoulli per user, so its interval and the comparison with control are those of conversion.
 */
export function retentionOf(
  cohorts: readonly CohortRow[],
  options: { afterDays: readonly number[]; today: number; control: string; alpha: number },
): ExperimentResults["retention"] {
  const variations = [...new Set(cohorts.map((c) => c.variation))].sort();
  const totals = (variation: string, i: number): VariationTotals => {
    const n = options.afterDays[i] ?? 0;
    const t = emptyTotals();
    for (const c of cohorts) {
      if (c.variation !== variation || !complete(c.day, n, options.today)) continue;
      t.exposed += c.users;
      t.converted += c.returned[i] ?? 0;
    }
    return t;
  };
  return {
    afterDays: [...options.afterDays],
    variations: variations.map((variation) => ({
      variation,
      byDays: options.afterDays.map((n, i) => {
        const t = totals(variation, i);
        const control = totals(options.control, i);
        return {
          afterDays: n,
          eligible: t.exposed,
          returned: t.converted,
          rate: conversion(t, options.alpha),
          decision: variation === options.control ? null : decide(control, t, "conversion", options.alpha),
          difference: variation === options.control ? null : withoutInfinity(meanDifference(control, t, "conversion", options.alpha)),
        };
      }),
    })),
    cohorts: [...new Set(cohorts.map((c) => c.day))].map((day) => ({
      day: isoDay(day),
      variations: cohorts
        .filter((c) => c.day === day)
        .map((c) => ({
          variation: c.variation,
          users: c.users,
          returned: options.afterDays.map((n, i) => (complete(day, n, options.today) ? (c.returned[i] ?? 0) : null)),
        })),
    })),
  };
}

/** Day d + N is over: the cohort had all of it to come back. */
const complete = (day: number, n: number, today: number) => day + n < today;

/** JSON has no infinities: an interval not known yet is null on that side. */
function withoutInfinity(d: { estimate: number; low: number; high: number }) {
  return {
    estimate: d.estimate,
    low: Number.isFinite(d.low) ? d.low : null,
    high: Number.isFinite(d.high) ? d.high : null,
  };
}
