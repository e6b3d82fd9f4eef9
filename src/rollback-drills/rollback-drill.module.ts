import type { RouteDefinition } from "../api/route-definition.ts";
import type { EdgeStatsSink } from "../traffic/edge-controller.ts";
import type { Module } from "../platform/module.ts";
import { errorMessage } from "../shared/errors.ts";
import { logger } from "../shared/logger.ts";
import { rollbackDrillMigrations } from "./rollback-drill.migration.ts";
import { rollbackDrillRoutes } from "./rollback-drill.routes.ts";
import type { DrillSchedule } from "./rollback-drill.schema.ts";
import { type RollbackDrillDeps, RollbackDrillService } from "./rollback-drill.service.ts";

export { rollbackDrillMigrations };

export interface RollbackDrills extends Module {
  service: RollbackDrillService;
  routes: RouteDefinition[];
  sinks: EdgeStatsSink[];
}

/**
 * How often the schedule looks (a few indexed reads): rampart.yaml may have been applied with a new schedule, or an
 * app may have its first live release since.
 */
const LOOK_EVERY_MS = 10_000;

/**
 * Rollback drills, on demand (`rampart drill rollback`) and on the schedule of rampart.yaml `drills.rollback`: each
 * app of the schedule's environment whose newest drill is older than `every` (or that was never drilled) is drilled,
 * one at a time. Apps with nothing live are skipped until they have a release.
 */
export function createRollbackDrills(
  deps: RollbackDrillDeps & { schedule: () => DrillSchedule | undefined; apps: () => string[] },
): RollbackDrills {
  const service = new RollbackDrillService(deps);
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const due = async (): Promise<{ app: string; schedule: DrillSchedule } | null> => {
    const schedule = deps.schedule();
    if (!schedule) return null;
    for (const app of schedule.apps ?? deps.apps()) {
      if (service.isRunning(schedule.env, app) || (await deps.liveRelease(schedule.env, app)) === null) continue;
      const latest = await service.latestStarted(schedule.env, app);
      if (latest === null || latest + schedule.everyMs <= deps.clock.now()) return { app, schedule };
    }
    return null;
  };
  const tick = async () => {
    try {
      const next = await due();
      if (next && !stopped) {
        const { app, schedule } = next;
        // A protected environment is refused here as on the CLI (drill_refused, logged): --allow-production is a person's call.
        await service.start(schedule.env, app, "rampart", { rate: schedule.rate, trigger: "schedule", allowProduction: false });
        await service.idle();
      }
    } catch (error) {
      logger.warn({ err: error }, `scheduled rollback drill not started: ${errorMessage(error)}`);
    }
    if (stopped) return;
    timer = setTimeout(() => void tick(), LOOK_EVERY_MS);
    timer.unref();
  };
  return {
    name: "rollback-drills",
    service,
    routes: rollbackDrillRoutes(service),
    sinks: [service],
    start: () => service.failInterrupted(),
    run: () => {
      timer = setTimeout(() => void tick(), 1_000);
      timer.unref();
    },
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await service.stop();
    },
  };
}
