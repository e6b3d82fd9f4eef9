import { randomBytes } from "node:crypto";
import { join } from "node:path";
import type { ManifestSource } from "../config/manifest-source.ts";
import type { Db } from "../db/database.ts";
import { KvStore } from "../db/kv.store.ts";
import type { EventLog } from "../events/event-log.ts";
import type { Module } from "../platform/module.ts";
import type { ReleaseStore } from "../releases/release.store.ts";
import type { InstanceRecord } from "../runtime/instance.types.ts";
import type { Clock } from "../shared/clock.ts";
import { EdgeController, type EdgeStatsSink } from "./edge-controller.ts";
import { failedUsersMigration } from "./failed-users.migration.ts";
import { FailedUsersStore } from "./failed-users.store.ts";
import { RequestStatsStore } from "./request-stats.store.ts";
import { currentTable } from "./traffic-table.ts";
import { trafficMigration } from "./traffic.migration.ts";
import { TrafficService } from "./traffic.service.ts";
import { TrafficStore } from "./traffic.store.ts";

const STATS_RETENTION_MS = 7 * 24 * 3600_000;

/** Where the edge writes each environment's access log (a directory per environment; `rampart logs --edge` reads it). */
export function accessLogRoot(dataDir: string): string {
  return join(dataDir, "logs", "edge-access");
}
const MAINTENANCE_MS = 3600_000;

/** Migrations the traffic capability registers (the request_stats table predates it: 0001_initial). */
export const trafficMigrations = { "0005_traffic": trafficMigration, "0023_failed_users": failedUsersMigration };

export interface TrafficDeps {
  db: Db;
  dataDir: string;
  events: EventLog;
  clock: Clock;
  manifests: Pick<ManifestSource, "current" | "resolve">;
  releases: Pick<ReleaseStore, "get" | "findByStatus">;
  instances(): InstanceRecord[];
  /** Consumers of the edge's per-second collections, asked for once the platform is composed. */
  sinks(): EdgeStatsSink[];
  /** The app's API key hashes for the table (src/gateway), asked for at each push. */
  apiKeys?(env: string, app: string): Promise<{ id: string; sha256: string }[]>;
}

export interface Traffic extends Module {
  /** Random per control plane: the synthetic checks send it (X-Rampart-Probe) so the edge leaves them unmeasured. */
  probeToken: string;
  service: TrafficService;
  edge: EdgeController;
  stats: RequestStatsStore;
  /** Hashed sticky keys of users whose requests failed, per minute (incidents count the distinct ones). */
  failedUsers: FailedUsersStore;
}

/** The control plane's owner of where requests go: the traffic state, the edge process and its measurements. */
export function createTraffic(deps: TrafficDeps): Traffic {
  const stats = new RequestStatsStore(deps.db);
  const probeToken = randomBytes(24).toString("base64url");
  const failedUsers = new FailedUsersStore(deps.db);
  let service: TrafficService | undefined;
  const edge = new EdgeController({
    dataDir: deps.dataDir,
    events: deps.events,
    kv: new KvStore(deps.db),
    stats,
    failedUsers,
    get sinks() {
      return deps.sinks();
    },
    buildTable: (version) =>
      currentTable({ ...deps, traffic: () => service?.all() ?? [], probeToken, accessLogRoot: accessLogRoot(deps.dataDir) }, version),
  });
  service = new TrafficService({ store: new TrafficStore(deps.db), events: deps.events, clock: deps.clock, pusher: edge });
  let maintenance: NodeJS.Timeout | undefined;
  const traffic: TrafficService = service;
  return {
    name: "traffic",
    service: traffic,
    edge,
    stats,
    failedUsers,
    probeToken,
    // The edge keeps (or resumes) serving with its last table while the instances are re-adopted (runtime.start).
    async start() {
      await traffic.load();
      await edge.start();
    },
    async run() {
      await edge.applyRouting();
      edge.startPolling();
      maintenance = setInterval(() => {
        void stats.deleteBefore(deps.clock.now() - STATS_RETENTION_MS);
        void failedUsers.deleteBefore(deps.clock.now() - STATS_RETENTION_MS);
      }, MAINTENANCE_MS);
    },
    stop() {
      clearInterval(maintenance);
      edge.stopPolling();
    },
  };
}
