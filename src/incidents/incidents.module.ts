import type { RouteDefinition } from "../api/route-definition.ts";
import type { Db } from "../db/database.ts";
import type { EventLog } from "../events/event-log.ts";
import type { Module } from "../platform/module.ts";
import type { Clock } from "../shared/clock.ts";
import { logger } from "../shared/logger.ts";
import type { MetricFamily } from "../telemetry/prometheus-text.ts";
import { doraFamilies } from "./dora-metrics.ts";
import { incidentsMigration } from "./incident-tables.ts";
import { incidentRoutes } from "./incident.routes.ts";
import { IncidentService, listenForRollbacks } from "./incident.service.ts";
import type { IncidentView } from "./incident.types.ts";

/** Migrations incidents registers (name and order as released). */
export const incidentsMigrations = { "0012_incidents": incidentsMigration };

/** How often the four keys on /metrics are recomputed (a scrape never waits on the event log). */
const METRICS_REFRESH_MS = 60_000;
const METRICS_WINDOW_MS = 30 * 86_400_000;

export interface Incidents extends Module {
  /** The four keys per environment (last 30 days), as of the last refresh, for /metrics. */
  metricFamilies(): MetricFamily[];
  /** Also the alerting hook: `service.onAlertFiring(alert)` opens or joins the incident of the alert's app. */
  service: IncidentService;
  routes: RouteDefinition[];
}

/** Incidents, their timeline and postmortems, and the four keys, all read from the event log. */
export function createIncidents(deps: {
  db: Db;
  events: EventLog;
  clock: Clock;
  envs: () => string[];
  /** Pages an opened SEV-1/2 (alert notification's `page`), with the commands to respond. */
  page?: (incident: IncidentView, commands: string[]) => void;
}): Incidents {
  const service = new IncidentService(deps);
  let unlisten: (() => void) | undefined;
  let families: MetricFamily[] = [];
  let timer: NodeJS.Timeout | undefined;
  const refresh = async () => {
    try {
      const reports = await Promise.all(deps.envs().map((env) => service.dora({ env, sinceMs: METRICS_WINDOW_MS })));
      families = doraFamilies(reports);
    } catch (error) {
      logger.warn({ err: error }, "could not compute the four keys for /metrics; the last values stay");
    }
  };
  return {
    name: "incidents",
    service,
    routes: incidentRoutes(service),
    metricFamilies: () => families,
    // After an automatic rollback, an incident is proposed (an event) when none is open for that app.
    run: () => {
      unlisten = listenForRollbacks(deps.events, service);
      void refresh();
      timer = setInterval(() => void refresh(), METRICS_REFRESH_MS);
      timer.unref();
    },
    stop: () => {
      unlisten?.();
      clearInterval(timer);
    },
  };
}
