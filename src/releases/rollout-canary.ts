import type { ResolvedApp } from "../config/resolved-manifest.schema.ts";
import type { ReleaseWindow } from "../traffic/request-stats.store.ts";
import { checkUnderTraffic, RolloutRollback, type StrategyContext } from "./rollout-context.ts";

export type CanaryDecision = "continue" | "pass" | "fail" | "hold";

/** What the analysis says about the canary so far, with its evidence (stored on the rollout and in events). */
export interface CanaryVerdict {
  decision: CanaryDecision;
  reason: string;
  /** Per guard: canary and stable values, threshold, statistic, boundary, samples, decision. */
  checks: readonly unknown[];
  at: number;
}

export type CanaryJudge = (input: {
  canary: ReleaseWindow;
  stable: ReleaseWindow;
  guards: ResolvedApp["release"]["guards"];
  now: number;
}) => CanaryVerdict;

/** Requests per release since a time, from the edge's measurements. */
export type ReleaseWindows = (releases: number[], sinceMs: number) => Promise<Map<number, ReleaseWindow>>;

const TICK_MS = 1_000;
/** The latest verdict is persisted at least this often, so `rollout status` shows fresh evidence. */
const NOTE_EVERY_MS = 5_000;

/**
 * Canary: the new release gets each step's share of traffic for `pause`, judged every second against the stable
 * release over the same period. A failed verdict rolls back at once; a step advances only on a passing verdict
 * after its pause (too little traffic holds it, with the reason); `paused` holds; promote skips to 100 %.
 */
export async function canaryShift(ctx: StrategyContext, stableRelease: number, judge: CanaryJudge, windows: ReleaseWindows): Promise<void> {
  const { steps, pauseMs, guards } = ctx.release.config.release;
  let step = ctx.rollout().step;
  if (step === 0) {
    const percent = steps[0] ?? 100;
    if (percent >= 100) return;
    await ctx.route(ctx.fresh(), [], { canaryPercent: percent, trafficSince: ctx.now(), stepStartedAt: ctx.now() });
    step = 1;
    await ctx.advance(step, `step 1/${steps.length}: ${percent}% of traffic on release ${ctx.release.number}`);
  }
  let lastNote = 0;
  let lastDecision: CanaryDecision | undefined;
  for (;;) {
    const rollout = await ctx.reload();
    checkUnderTraffic(ctx);
    if (rollout.data.promoteRequestedBy) {
      await ctx.route([], [], { canaryPercent: 100 });
      return;
    }
    // Each step is judged on its own traffic, both releases over the same period: a regression that only shows
    // at a larger share is not diluted by the quiet earlier steps.
    const since = rollout.data.stepStartedAt ?? rollout.data.trafficSince ?? rollout.updatedAt;
    const measured = await windows([ctx.release.number, stableRelease], since);
    const empty = { requests: 0, errors: 0, buckets: [] };
    const verdict = judge({
      canary: measured.get(ctx.release.number) ?? empty,
      stable: measured.get(stableRelease) ?? empty,
      guards,
      now: ctx.now(),
    });
    if (verdict.decision === "fail") throw new RolloutRollback(`canary analysis failed: ${verdict.reason}`, { verdict: { ...verdict } });

    const due = ctx.now() >= (rollout.data.stepStartedAt ?? since) + pauseMs;
    if (due && !rollout.data.paused && verdict.decision === "pass") {
      const percent = steps[step] ?? 100;
      // 100 % is the promotion itself: with no stable traffic left there is nothing to compare against.
      if (percent >= 100) {
        await ctx.advance(
          step + 1,
          `step ${step}/${steps.length} passed (${verdict.reason}); promoting release ${ctx.release.number} to 100%`,
          { verdict: { ...verdict } },
        );
        return;
      }
      step += 1;
      await ctx.route([], [], { canaryPercent: percent, stepStartedAt: ctx.now() });
      await ctx.advance(
        step,
        `step ${step}/${steps.length}: ${percent}% of traffic on release ${ctx.release.number} (previous step passed: ${verdict.reason})`,
        { verdict: { ...verdict } },
      );
      lastNote = ctx.now();
    } else if (verdict.decision !== lastDecision || ctx.now() - lastNote >= NOTE_EVERY_MS) {
      const why = rollout.data.paused ? "paused" : due ? `holding: ${verdict.reason}` : `judging: ${verdict.reason}`;
      const message = `step ${step}/${steps.length} (${rollout.data.canaryPercent ?? steps[step - 1]}%): ${why}`;
      // An event when the verdict changes (e.g. traffic too low to decide); otherwise only the stored evidence.
      await (verdict.decision !== lastDecision
        ? ctx.advance(step, message, { verdict: { ...verdict } })
        : ctx.note(message, { verdict: { ...verdict } }));
      lastNote = ctx.now();
    }
    lastDecision = verdict.decision;
    await new Promise((resolve) => setTimeout(resolve, TICK_MS));
  }
}
