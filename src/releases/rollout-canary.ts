import { guardsFromManifest, judge, type Decision } from "../analysis/index.ts";
import type { ReleaseWindow } from "../traffic/request-stats.store.ts";
import { holdCountdown, holdExpiredReason, trackHold } from "./hold-deadline.ts";
import { checkUnderTraffic, RolloutRollback, type StrategyContext } from "./rollout-context.ts";

/** Requests per release since a time, from the edge's measurements. */
export type ReleaseWindows = (releases: number[], sinceMs: number) => Promise<Map<number, ReleaseWindow>>;

const TICK_MS = 1_000;
/** The latest verdict is persisted at least this often, so `rollout status` shows fresh evidence. */
const NOTE_EVERY_MS = 5_000;

/**
 * Canary: the new release gets each step's share of traffic for `pause`, judged every second against the stable
 * release over the same period. A failed verdict rolls back at once; a step advances only on a passing verdict
 * after its pause (too little traffic holds it, with the reason, for at most `hold_timeout`); `paused` holds; promote
 * skips to 100 %.
 */
export async function canaryShift(ctx: StrategyContext, stableRelease: number, windows: ReleaseWindows): Promise<void> {
  const { steps, pauseMs, holdTimeoutMs } = ctx.release.config.release;
  const guards = guardsFromManifest(ctx.release.config.release.guards);
  let step = ctx.rollout().step;
  if (step === 0) {
    const percent = steps[0] ?? 100;
    if (percent >= 100) return;
    step = 1;
    await ctx.route(
      ctx.fresh(),
      [],
      { canaryPercent: percent, trafficSince: ctx.now(), stepStartedAt: ctx.now() },
      { step, message: `step 1/${steps.length}: ${percent}% of traffic on release ${ctx.release.number}` },
    );
  }
  // Resumed after the promotion step was persisted (its step's share is 100 %): promoted already, not again.
  if (step > 0 && (steps[step - 1] ?? 100) >= 100) return;
  let lastNote = 0;
  let lastDecision: Decision | undefined;
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
    // The edge's aggregates are stamped with the start of their second: the step's own second is read whole, or
    // what the first second of a step measured (a fast test's every beacon) would fall before `since`.
    const measured = await windows([ctx.release.number, stableRelease], Math.floor(since / 1000) * 1000);
    const side = (release: number) => {
      const window = measured.get(release);
      return { requests: window?.requests ?? 0, errors: window?.errors ?? 0, latency: window?.buckets ?? [], rum: window?.rum };
    };
    const verdict = judge({ canary: side(ctx.release.number), stable: side(stableRelease), guards }, { now: () => ctx.now() });
    if (verdict.decision === "fail") throw new RolloutRollback(`canary analysis failed: ${verdict.reason}`, { verdict: { ...verdict } });

    const due = ctx.now() >= (rollout.data.stepStartedAt ?? since) + pauseMs;
    const percentNow = rollout.data.canaryPercent ?? steps[step - 1] ?? 0;
    const hold = trackHold({
      heldSince: rollout.data.heldSince,
      now: ctx.now(),
      due,
      paused: rollout.data.paused ?? false,
      decision: verdict.decision,
      timeoutMs: holdTimeoutMs,
    });
    if (hold.expiredAfterMs !== null) {
      const { env, app } = ctx.release;
      const reason = holdExpiredReason({
        step,
        steps: steps.length,
        percent: percentNow,
        timeoutMs: holdTimeoutMs,
        reason: verdict.reason,
        app,
        env,
      });
      throw new RolloutRollback(reason, { verdict: { ...verdict } });
    }
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
      await ctx.route(
        [],
        [],
        { canaryPercent: percent, stepStartedAt: ctx.now(), heldSince: undefined, verdict: { ...verdict } },
        {
          step,
          message: `step ${step}/${steps.length}: ${percent}% of traffic on release ${ctx.release.number} (previous step passed: ${verdict.reason})`,
        },
      );
      lastNote = ctx.now();
    } else if (verdict.decision !== lastDecision || hold.heldSince !== rollout.data.heldSince || ctx.now() - lastNote >= NOTE_EVERY_MS) {
      const why = rollout.data.paused
        ? "paused"
        : due
          ? `holding: ${verdict.reason}${holdCountdown(hold, holdTimeoutMs)}`
          : `judging: ${verdict.reason}`;
      const message = `step ${step}/${steps.length} (${percentNow}%): ${why}`;
      const data = { verdict: { ...verdict }, heldSince: hold.heldSince };
      // An event when the verdict changes (e.g. traffic too low to decide) or a hold begins; otherwise only the stored evidence.
      await (verdict.decision !== lastDecision || (hold.heldSince !== undefined && rollout.data.heldSince === undefined)
        ? ctx.advance(step, message, data)
        : ctx.note(message, data));
      lastNote = ctx.now();
    }
    lastDecision = verdict.decision;
    await ctx.sleep(TICK_MS);
  }
}
