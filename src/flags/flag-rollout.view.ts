import type { FlagRolloutRecord } from "./flag-change.types.ts";
import type { FlagRolloutView } from "./flag.view.ts";

export function toRolloutView(r: FlagRolloutRecord): FlagRolloutView {
  return {
    id: r.id,
    state: r.state,
    steps: r.plan.steps,
    step: r.step + 1,
    percentage: r.plan.steps[r.step] ?? 100,
    everyMs: r.plan.everyMs,
    stepStartedAt: r.stepStartedAt,
    guards: r.plan.guardText,
    onFail: r.plan.onFail,
    variation: r.plan.variation,
    outVariation: r.plan.outVariation,
    by: r.plan.by,
    message: r.data.message ?? null,
    verdict: r.data.verdict ?? null,
    businessGuards: r.data.businessGuards ?? null,
    createdBy: r.createdBy,
  };
}
