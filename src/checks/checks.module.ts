import type { Manifest } from "../config/resolved-manifest.schema.ts";
import type { Db } from "../db/database.ts";
import type { EventLog } from "../events/event-log.ts";
import type { Module } from "../platform/module.ts";
import type { TimerClock } from "../shared/clock.ts";
import { checksMigration } from "./checks.migration.ts";
import { checksRoutes } from "./checks.routes.ts";
import { HeartbeatUrls } from "./heartbeat-urls.ts";
import { heartbeatUrlProtocol } from "./heartbeat.protocol.ts";
import { type AppPresence, type CheckMetricsSink, ChecksService } from "./checks.service.ts";
import { ChecksStore } from "./checks.store.ts";
import { type BrowserProber, chromiumProber } from "./browser-probe.ts";
import { httpProber, type Prober } from "./http-probe.ts";

/** Migrations the checks register (name and order as released). */
export const checksMigrations = { "0011_checks": checksMigration };

export interface Checks extends Module {
  service: ChecksService;
}

/** Synthetic checks and heartbeats (issue 15): probes through the edge, results as measurements, transitions as events. */
export function createChecks(deps: {
  db: Db;
  events: EventLog;
  clock: TimerClock;
  manifest(): Manifest;
  serving(env: string, app: string): AppPresence;
  assertApp(env: string, app: string): void;
  metrics?: CheckMetricsSink;
  /** Sent with every HTTP check (X-Rampart-Probe) so the edge leaves checks out of the apps' measurements. */
  probeToken?: string;
  /** The platform's link-signing key (heartbeat ping URLs are derived from it). */
  signingKey(): Buffer;
  prober?: Prober;
  browserProber?: BrowserProber;
}): Checks {
  const service = new ChecksService({
    manifest: deps.manifest,
    store: new ChecksStore(deps.db),
    events: deps.events,
    clock: deps.clock,
    prober: deps.prober ?? httpProber(deps.clock),
    probeHeaders: deps.probeToken === undefined ? {} : { "x-rampart-probe": deps.probeToken },
    browserProber: deps.browserProber ?? chromiumProber(deps.clock),
    serving: deps.serving,
    metrics: deps.metrics,
  });
  const urls = new HeartbeatUrls(deps.signingKey);
  return {
    name: "checks",
    service,
    routes: checksRoutes(service, deps.assertApp, urls),
    protocols: [heartbeatUrlProtocol({ urls, checks: service, assertApp: deps.assertApp })],
    start: () => service.start(),
    run: () => service.run(),
    stop: () => service.stop(),
  };
}
