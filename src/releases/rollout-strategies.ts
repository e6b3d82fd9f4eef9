import type { StrategyContext } from "./rollout-context.ts";

/** Each shifted instance must stay healthy this long under live traffic before the next one moves. */
const MIN_STEP_HOLD_MS = 500;

/**
 * Rolling: one instance at a time, new k in and old k out (the last step takes the rest of the old ones out),
 * each held while it proves healthy. Resumes at the persisted step.
 */
export async function rollingShift(ctx: StrategyContext): Promise<void> {
  const fresh = ctx.fresh();
  const total = fresh.length;
  for (let step = ctx.rollout().step + 1; step <= total; step++) {
    const moving = fresh[step - 1];
    if (!moving) break;
    const old = ctx.stable().filter((i) => ctx.routable(i));
    const leaving = step === total ? old : old.slice(0, 1);
    await ctx.route([moving], leaving, step === 1 ? { trafficSince: ctx.now() } : {}, {
      step,
      message: `step ${step}/${total}: ${moving.id} takes traffic${leaving.length ? `, ${leaving.map((i) => i.id).join(", ")} leave(s) rotation` : ""}`,
    });
    if (!ctx.rollout().data.promoteRequestedBy) await ctx.hold(stepHoldMs(ctx, step === total));
  }
}

/**
 * How long a step is held under live traffic. The last one also waits `settle`: the old instances are out of
 * rotation but still running, so a new release that crashes a while after starting fails the rollout and
 * traffic goes back to them, instead of going live and then crash-looping with nothing left to fall back on.
 */
function stepHoldMs(ctx: StrategyContext, last: boolean): number {
  const hold = Math.max(MIN_STEP_HOLD_MS, ctx.release.config.health.intervalMs);
  return last ? Math.max(hold, ctx.release.config.release.settleMs ?? 0) : hold;
}

/** Blue-green: every new instance is already healthy; all traffic moves in one table push. */
export async function blueGreenSwitch(ctx: StrategyContext): Promise<void> {
  if (ctx.rollout().step === 0) {
    await ctx.route(
      ctx.fresh(),
      ctx.stable(),
      { trafficSince: ctx.now() },
      { step: 1, message: `switched: all traffic on release ${ctx.release.number}` },
    );
  }
  await ctx.hold(stepHoldMs(ctx, true));
}
