import type { ProtocolPlugin } from "../api/api-server.ts";
import type { RouteDefinition } from "../api/route-definition.ts";
import type { ManifestSource } from "../config/manifest-source.ts";
import type { Db } from "../db/database.ts";
import type { EventLog } from "../events/event-log.ts";
import type { Clock } from "../shared/clock.ts";
import { FlagAccessStore } from "./flag-access.store.ts";
import { FlagRolloutEngine } from "./flag-rollout-engine.ts";
import { FlagRolloutStore } from "./flag-rollout.store.ts";
import { SdkTokenAuth } from "./flag-sdk-auth.ts";
import { flagSdkProtocol } from "./flag-sdk.protocol.ts";
import { FlagSdkService } from "./flag-sdk.service.ts";
import { FlagSnapshots } from "./flag-snapshots.ts";
import { FlagWriter } from "./flag-writer.ts";
import { flagRoutes } from "./flag.routes.ts";
import { FlagService } from "./flag.service.ts";
import { FlagStore } from "./flag.store.ts";
import { flagsMigration } from "./flags.migration.ts";
import { flagExperimentsMigration } from "./flag-experiments.migration.ts";
import { flagExperimentReportsMigration } from "./flag-experiment-reports.migration.ts";
import { FlagExperimentService } from "./flag-experiment.service.ts";
import { FlagExperimentStore } from "./flag-experiment.store.ts";
import { flagExperimentRoutes } from "./flag-experiment.routes.ts";
import type { Module } from "../platform/module.ts";
import type { InfoNotice } from "../alerts/notify/info-notice.ts";
import { FlagExperimentReports } from "./flag-experiment-report.service.ts";
import { FlagExperimentReportStore } from "./flag-experiment-report.store.ts";

/** Retention and weekly reports, appended after every other capability's migrations (src/platform/migrations.ts). */
export const flagExperimentReportMigrations = { "0020_experiment_reports": flagExperimentReportsMigration };

/** Migrations flags registers (name and order as released). */
export const flagsMigrations = { "0002_flags": flagsMigration, "0014_flag_experiments": flagExperimentsMigration };

export interface Flags extends Module {
  service: FlagService;
  experiments: FlagExperimentService;
  reports: FlagExperimentReports;
  snapshots: FlagSnapshots;
  /** Also the EdgeStatsSink that receives the per-variant series. */
  engine: FlagRolloutEngine;
  writer: FlagWriter;
  routes: RouteDefinition[];
  protocol: ProtocolPlugin;
}

/** The flags capability wired from the platform's database, event log, clock and manifest. */
export function createFlags(deps: {
  db: Db;
  events: EventLog;
  clock: Clock;
  manifests: ManifestSource;
  /** Where weekly experiment reports are sent (alert notification's `inform`). */
  inform?: (notice: InfoNotice) => void;
}): Flags {
  const store = new FlagStore(deps.db);
  const access = new FlagAccessStore(deps.db);
  const rollouts = new FlagRolloutStore(deps.db);
  const snapshots = new FlagSnapshots(store);
  const isProtected = (env: string) => deps.manifests.current.environments[env]?.protected ?? false;
  const writer = new FlagWriter({ store, access, rollouts, snapshots, events: deps.events, clock: deps.clock, isProtected });
  const service = new FlagService({
    manifests: deps.manifests,
    store,
    access,
    rollouts,
    snapshots,
    writer,
    events: deps.events,
    clock: deps.clock,
  });
  const auth = new SdkTokenAuth(access);
  const sdk = new FlagSdkService({ auth, access, snapshots, events: deps.events, clock: deps.clock });
  const experiments = new FlagExperimentService({
    store: new FlagExperimentStore(deps.db),
    flags: store,
    snapshots,
    events: deps.events,
    clock: deps.clock,
  });
  const protocol = flagSdkProtocol({
    auth,
    snapshots,
    served: (env, flag, variation, context) => experiments.served(env, flag, variation, context),
  });
  const reports = new FlagExperimentReports({
    experiments,
    store: new FlagExperimentReportStore(deps.db),
    rollouts,
    events: deps.events,
    clock: deps.clock,
    inform: deps.inform,
  });
  // Business guards of rollout plans are judged on the experiment's per-variation totals.
  const engine = new FlagRolloutEngine({ rollouts, store, writer, events: deps.events, clock: deps.clock, business: experiments });
  return {
    name: "flags",
    service,
    experiments,
    reports,
    snapshots,
    engine,
    writer,
    routes: [...flagRoutes(service, sdk), ...flagExperimentRoutes(experiments, sdk, reports)],
    protocol,
    protocols: [protocol],
    // Guarded flag rollouts are judged on the edge's per-variation counts.
    sinks: [engine],
    run: () => {
      engine.start();
      experiments.start();
      reports.start();
    },
    stop: async () => {
      await engine.stop();
      await reports.stop();
      await experiments.stop();
    },
  };
}
