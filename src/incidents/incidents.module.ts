import type { RouteDefinition } from "../api/route-definition.ts";
import type { Db } from "../db/database.ts";
import type { EventLog } from "../events/event-log.ts";
import type { Module } from "../platform/module.ts";
import type { Clock } from "../shared/clock.ts";
import { incidentsMigration } from "./incident-tables.ts";
import { incidentRoutes } from "./incident.routes.ts";
import { IncidentService, listenForRollbacks } from "./incident.service.ts";

/** Migrations incidents registers (name and order as released). */
export const incidentsMigrations = { "0016_incidents": incidentsMigration };

export interface Incidents extends Module {
  /** Also the alerting hook: `service.onAlertFiring(alert)` opens or joins the incident of the alert's app. */
  service: IncidentService;
  routes: RouteDefinition[];
}

/** Incidents, their timeline and postmortems, and the four keys, all read from the event log. */
export function createIncidents(deps: { db: Db; events: EventLog; clock: Clock }): Incidents {
  const service = new IncidentService(deps);
  let unlisten: (() => void) | undefined;
  return {
    name: "incidents",
    service,
    routes: incidentRoutes(service),
    // After an automatic rollback, an incident is proposed (an event) when none is open for that app.
    run: () => {
      unlisten = listenForRollbacks(deps.events, service);
    },
    stop: () => unlisten?.(),
  };
}
