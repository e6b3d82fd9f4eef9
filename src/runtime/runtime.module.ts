import type { Db } from "../db/database.ts";
import type { EventLog } from "../events/event-log.ts";
import type { Module } from "../platform/module.ts";
import type { Clock } from "../shared/clock.ts";
import type { LogHub } from "../telemetry/log-hub.ts";
import type { LogIndexStore } from "../telemetry/log-index.store.ts";
import { InstanceSupervisor, type TrafficControl } from "./instance-supervisor.ts";
import { InstanceStore } from "./instance.store.ts";
import type { InstanceRecord } from "./instance.types.ts";
import type { LaunchConfig } from "./launch-config.ts";
import { LocalDriver } from "./local-driver.ts";
import { logRoutes, logStreams } from "./log.routes.ts";
import { LogService } from "./log.service.ts";
import type { InstanceDriver } from "./runtime.types.ts";

export interface RuntimeDeps {
  db: Db;
  events: EventLog;
  clock: Clock;
  dataDir: string;
  /** The local driver unless given (a fake one in tests: runtime.fake.ts). */
  driver?: InstanceDriver;
  traffic: TrafficControl;
  launchConfig(instance: InstanceRecord): Promise<LaunchConfig>;
  /** Decrypts a release's secrets at instance start (src/secrets). */
  secretValues?(refs: NonNullable<LaunchConfig["secrets"]>): Promise<Record<string, string>>;
  logs: { index: LogIndexStore; hub: LogHub };
  assertApp(env: string, app: string): void;
}

export interface Runtime extends Module {
  supervisor: InstanceSupervisor;
  /** `rampart down`: every instance drained and stopped. */
  drainAll(reason: string): Promise<void>;
}

/**
 * Instances: the supervisor (spawn, health, crash, restart, drain, re-adopt) over a driver, and the log routes.
 * Starting re-adopts what a previous control plane left running, then pushes the table and starts watching.
 */
export function createRuntime(deps: RuntimeDeps): Runtime {
  const supervisor = new InstanceSupervisor({
    store: new InstanceStore(deps.db),
    events: deps.events,
    driver: deps.driver ?? new LocalDriver(),
    clock: deps.clock,
    dataDir: deps.dataDir,
    traffic: deps.traffic,
    launchConfig: deps.launchConfig,
    secretValues: deps.secretValues,
  });
  const logs = new LogService(deps.logs.index, deps.logs.hub, deps.assertApp);
  return {
    name: "runtime",
    supervisor,
    routes: logRoutes(logs),
    streams: logStreams(logs),
    // Instances a previous control plane left running are adopted before the first table push (traffic.run).
    start: () => supervisor.adoptAll(),
    run: () => supervisor.start(),
    stop: () => supervisor.stop(),
    async drainAll(reason) {
      await Promise.all(supervisor.list().map((i) => supervisor.drainAndStop(i.id, reason)));
    },
  };
}
