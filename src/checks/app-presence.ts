import type { AppPresence } from "./checks.service.ts";

/** How long an app may be healthy without the edge routing to it before its checks begin anyway. */
export const EDGE_ROUTING_GRACE_MS = 10_000;

/**
 * Whether an app's checks should begin (see ChecksService's `serving`). Live once the edge routes to a healthy
 * instance, not the moment one turns healthy: the table naming it reaches the edge a little later, and a first probe
 * sent in between got the edge's 503. Live too once an instance has been healthy for {@link EDGE_ROUTING_GRACE_MS}
 * without that: an edge that does not route to a healthy app is news the checks must report, not wait for.
 */
export function appPresence(instances: readonly { status: string; updatedAt: number }[], edgeRoutes: boolean, now: number): AppPresence {
  const running = instances.filter((i) => i.status !== "stopped");
  const healthy = running.filter((i) => i.status === "healthy");
  if (healthy.length > 0 && (edgeRoutes || healthy.some((i) => now - i.updatedAt >= EDGE_ROUTING_GRACE_MS))) return "live";
  return running.length > 0 ? "starting" : "none";
}
