import type { Db } from "../db/database.ts";
import type { Module } from "../platform/module.ts";
import type { Clock } from "../shared/clock.ts";
import { EventLog } from "./event-log.ts";
import { eventRoutes, eventStreams } from "./event.routes.ts";

export interface Events extends Module {
  log: EventLog;
}

/** The event log (the backbone every other module writes its changes through) with its query and SSE routes. */
export function createEvents(deps: { db: Db; clock: Clock }): Events {
  const log = new EventLog(deps.db, deps.clock);
  return { name: "events", log, routes: eventRoutes(log), streams: eventStreams(log) };
}
