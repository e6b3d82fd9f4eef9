import type { ProtocolPlugin } from "../api/api-server.ts";
import type { RouteDefinition } from "../api/route-definition.ts";
import type { Module } from "../platform/module.ts";
import { logger } from "../shared/logger.ts";
import { type BackupDeps, BackupService } from "./backup.service.ts";
import { backupDownloadProtocol, backupRoutes } from "./backup.routes.ts";

export interface Backups extends Module {
  service: BackupService;
  routes: RouteDefinition[];
  protocols: ProtocolPlugin[];
}

/** Longest a scheduled-backup timer sleeps before it looks again (rampart.yaml may have changed meanwhile). */
const MAX_WAIT_MS = 60_000;

/** Backups and their schedule (rampart.yaml `backups: { every, keep, dir }`); restore is offline (backup.cli.ts). */
export function createBackups(deps: BackupDeps): Backups {
  const service = new BackupService(deps);
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const schedule = () => {
    if (stopped) return;
    const due = service.nextDue();
    const wait = due === null ? MAX_WAIT_MS : Math.min(MAX_WAIT_MS, Math.max(0, due - deps.clock.now()));
    timer = setTimeout(() => void tick(), wait);
    timer.unref();
  };
  const tick = async () => {
    const due = service.nextDue();
    if (!stopped && due !== null && due <= deps.clock.now()) {
      // A failure is recorded as backup.failed (and alerts can read it); the schedule carries on.
      await service.create("rampart", true).catch((error: unknown) => logger.warn({ err: error }, "scheduled backup failed"));
    }
    schedule();
  };
  return {
    name: "backups",
    service,
    routes: backupRoutes(service),
    protocols: [backupDownloadProtocol(service)],
    run: () => schedule(),
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await service.idle();
    },
  };
}
