import type { ProtocolPlugin } from "../api/api-server.ts";
import type { RouteDefinition } from "../api/route-definition.ts";
import type { StreamRouteDefinition } from "../api/stream-route.ts";
import type { EdgeStatsSink } from "../traffic/edge-controller.ts";

/**
 * What a capability gives the composition root (src/daemon/platform.ts). Each capability folder has a
 * `create<Capability>(deps)` factory returning a Module (plus the services other modules depend on), and the
 * platform is a list of them: routes, streams and protocols make up the API server, sinks receive the edge's
 * per-second collections, and the lifecycle runs in list order: every `start` (take over what it owns: adopt
 * processes, open files), then every `run` (begin its loops, once every module is up), and `stop` in reverse.
 *
 * Migrations are not a field: the database is opened (and migrated) before any module exists, so each
 * capability exports its migrations as a constant next to its factory (`trafficMigrations`) and
 * src/platform/migrations.ts lists them.
 */
export interface Module {
  name: string;
  routes?: RouteDefinition[];
  streams?: StreamRouteDefinition[];
  protocols?: ProtocolPlugin[];
  sinks?: EdgeStatsSink[];
  start?(): Promise<void> | void;
  run?(): Promise<void> | void;
  stop?(): Promise<void> | void;
}
