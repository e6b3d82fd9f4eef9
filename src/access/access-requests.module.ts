import type { RouteDefinition } from "../api/route-definition.ts";
import type { ManifestSource } from "../config/manifest-source.ts";
import type { Db } from "../db/database.ts";
import type { EventLog } from "../events/event-log.ts";
import type { Module } from "../platform/module.ts";
import type { TimerClock } from "../shared/clock.ts";
import { RampartError } from "../shared/errors.ts";
import { defaultAccessPolicy } from "./access-policy.schema.ts";
import { accessRequestMigration } from "./access-request.migration.ts";
import { accessRequestRoutes } from "./access-request.routes.ts";
import { AccessRequestService, localOnlyStanding, type StandingAccess } from "./access-request.service.ts";
import { AccessRequestStore } from "./access-request.store.ts";

/** Migrations access requests register (name and order as released). */
export const accessRequestMigrations = { "0008_access_requests": accessRequestMigration };

export interface AccessRequests extends Module {
  /** Also the TimedGrantSource the Authenticator and the API server's stream re-checks read. */
  service: AccessRequestService;
  routes: RouteDefinition[];
}

/**
 * Just-in-time access wired from the platform's database, event log, clock and manifest. `standing` says who
 * holds which roles (the identity store); until it is given, only the credentials file (`local`) holds any.
 */
export function createAccessRequests(deps: {
  db: Db;
  events: EventLog;
  clock: TimerClock;
  manifests: ManifestSource;
  standing?: StandingAccess;
  /** Ends a user's console sessions when a grant of theirs takes effect (the identity store's sessions). */
  endSessions?: (trx: Db, user: string, reason: string) => Promise<number>;
}): AccessRequests {
  const store = new AccessRequestStore(deps.db);
  const service = new AccessRequestService({
    db: deps.db,
    store,
    events: deps.events,
    clock: deps.clock,
    policy: () => deps.manifests.current.access ?? defaultAccessPolicy,
    standing: deps.standing ?? localOnlyStanding,
    endSessions: deps.endSessions,
    assertEnvironment: (env) => {
      const environments = Object.keys(deps.manifests.current.environments);
      if (!environments.includes(env))
        throw new RampartError("unknown_environment", `environment "${env}" is not in ${deps.manifests.path}`, {
          hint: `environments: ${environments.join(", ")}`,
        });
    },
  });
  return {
    name: "access-requests",
    service,
    routes: accessRequestRoutes(service),
    start: () => service.load(),
    run: () => service.start(),
    stop: () => service.stop(),
  };
}
