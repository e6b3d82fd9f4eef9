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

export interface Flags {
  service: FlagService;
  /** Also the EdgeStatsSink that receives the per-variant series. */
  engine: FlagRolloutEngine;
  writer: FlagWriter;
  routes: RouteDefinition[];
  protocol: ProtocolPlugin;
}

/** The flags capability wired from the platform's database, event log, clock and manifest. */
export function createFlags(deps: { db: Db; events: EventLog; clock: Clock; manifests: ManifestSource }): Flags {
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
  const engine = new FlagRolloutEngine({ rollouts, store, writer, events: deps.events, clock: deps.clock });
  return { service, engine, writer, routes: flagRoutes(service, sdk), protocol: flagSdkProtocol({ auth, snapshots }) };
}
