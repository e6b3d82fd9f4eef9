import type { RouteDefinition } from "../api/route-definition.ts";
import type { StreamRouteDefinition } from "../api/stream-route.ts";
import { accessRequestRoutes } from "../access/access-request.routes.ts";
import { auditRoutes } from "../audit/audit.routes.ts";
import { backupRoutes } from "../backup/backup.routes.ts";
import { loadTestRoutes } from "../loadtest/loadtest.routes.ts";
import { parityRoutes } from "../parity/parity.routes.ts";
import { readinessRoutes } from "../readiness/readiness.routes.ts";
import { rollbackDrillRoutes } from "../rollback-drills/rollback-drill.routes.ts";
import { planRoutes } from "../plan/plan.routes.ts";
import { rumRoutes } from "../rum/rum.routes.ts";
import { secretRoutes } from "../secrets/secret.routes.ts";
import { alertRoutes } from "../alerts/alert.routes.ts";
import { notifyRoutes } from "../alerts/notify/notify.routes.ts";
import { checksRoutes } from "../checks/checks.routes.ts";
import { incidentRoutes } from "../incidents/incident.routes.ts";
import { oncallRoutes } from "../oncall/oncall.routes.ts";
import { identityRoutes } from "../access/identity.routes.ts";
import { oidcCliRoutes } from "../access/oidc.routes.ts";
import { eventRoutes, eventStreams } from "../events/event.routes.ts";
import { flagRoutes } from "../flags/flag.routes.ts";
import { flagExperimentRoutes } from "../flags/flag-experiment.routes.ts";
import { platformRoutes } from "../platform/platform.routes.ts";
import { releaseRoutes } from "../releases/release.routes.ts";
import { rolloutRoutes } from "../releases/rollout.routes.ts";
import { logRoutes, logStreams } from "../runtime/log.routes.ts";
import { metricsRoutes } from "../telemetry/metrics.routes.ts";
import { traceRoutes } from "../telemetry/trace.routes.ts";
import { gatewayRoutes } from "../gateway/gateway.routes.ts";
import { overviewRoutes } from "../console/overview.routes.ts";

/**
 * A service that must not be called: route factories only capture their services for the handlers, so the route
 * list can be built without a database or processes (for docs/access.md and the permission-matrix test).
 */
function unused<T extends object>(name: string): T {
  const fail = () => {
    throw new Error(`${name} is not available in the API catalogue (routes are listed, not served)`);
  };
  // The trust boundary of this one helper: the proxy stands in for any service, and throws on first use.
  return new Proxy({}, { get: fail, apply: fail }) as T;
}

/**
 * Every route and stream of the control-plane API, as the platform serves them (src/daemon/platform.ts), with
 * services that throw when used. A module that adds routes adds its factory here too; api.e2e.test.ts checks the
 * list against the OpenAPI document of a running platform.
 */
export function apiCatalogue(): { routes: RouteDefinition[]; streams: StreamRouteDefinition[] } {
  const notCalled = (name: string) => () => {
    throw new Error(`${name} is not available in the API catalogue`);
  };
  return {
    routes: [
      ...eventRoutes(unused("events")),
      ...traceRoutes(unused("traces")),
      ...metricsRoutes(unused("metrics")),
      ...flagRoutes(unused("flags"), unused("flag SDK")),
      ...flagExperimentRoutes(unused("flag experiments"), unused("flag SDK"), unused("experiment reports")),
      ...logRoutes(unused("logs")),
      ...releaseRoutes(unused("releases")),
      ...rolloutRoutes(unused("rollouts"), unused("releases")),
      ...platformRoutes(unused("status"), notCalled("shutdown"), "catalogue", notCalled("stopEnvironment")),
      ...identityRoutes(unused("users"), unused("tokens")),
      ...accessRequestRoutes(unused("access requests")),
      ...oidcCliRoutes(unused("oidc")),
      ...alertRoutes(unused("alerts")),
      ...incidentRoutes(unused("incidents")),
      ...checksRoutes(unused("checks"), notCalled("assertApp"), unused("heartbeat urls")),
      ...notifyRoutes({ silences: unused("silences"), deliveries: unused("deliveries") }),
      ...auditRoutes(unused("audit")),
      ...secretRoutes(unused("secrets"), unused("database queries")),
      ...oncallRoutes({ oncall: unused("oncall"), escalations: unused("escalations") }),
      ...backupRoutes(unused("backups")),
      ...loadTestRoutes(unused("load tests"), notCalled("assertApp")),
      ...parityRoutes(unused("parity")),
      ...readinessRoutes(unused("readiness")),
      ...rollbackDrillRoutes(unused("rollback drills")),
      ...planRoutes(unused("plan")),
      ...gatewayRoutes({
        keys: unused("api keys"),
        assertApp: notCalled("assertApp"),
        assertEnv: notCalled("assertEnv"),
        edgeLog: notCalled("edgeLog"),
      }),
      ...rumRoutes(unused("rum"), notCalled("assertApp")),
      ...overviewRoutes(unused("overview"), () => false),
    ],
    streams: [...eventStreams(unused("events")), ...logStreams(unused("logs"))],
  };
}
