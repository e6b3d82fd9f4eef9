import type { Db } from "../db/database.ts";
import type { Module } from "../platform/module.ts";
import type { Clock } from "../shared/clock.ts";
import type { MetricsStore } from "../telemetry/metrics.store.ts";
import { rumMigration } from "./rum.migration.ts";
import { rumRoutes } from "./rum.routes.ts";
import { RumService } from "./rum.service.ts";
import { RumSink } from "./rum.sink.ts";
import { RumStore } from "./rum.store.ts";

/** Migrations the RUM capability registers (src/platform/migrations.ts lists them). */
export const rumMigrations = { "0019_rum": rumMigration };

export interface Rum extends Module {
  service: RumService;
  store: RumStore;
  sink: RumSink;
}

/**
 * Real-user monitoring (docs/rum.md): the edge measures (src/edge/rum-*.ts); this module files its series, answers
 * `rampart rum`, and gives alert rules (via the metrics store) and canary guards (via the store) their numbers.
 */
export function createRum(deps: {
  db: Db;
  clock: Clock;
  metrics: Pick<MetricsStore, "addHistogram" | "addCounter">;
  assertApp: (env: string, app: string) => void;
}): Rum {
  const store = new RumStore(deps.db);
  const service = new RumService(store, deps.clock);
  const sink = new RumSink(store, deps.metrics);
  return {
    name: "rum",
    service,
    store,
    sink,
    routes: rumRoutes(service, deps.assertApp),
    sinks: [sink],
    stop: () => sink.flushed(),
  };
}
