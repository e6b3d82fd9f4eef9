/**
 * The routing table the control plane pushes to the edge (PUT /table on the edge's control socket).
 * The edge keeps serving with the last table it got, also across its own restarts (it persists it).
 */
export interface RoutingTable {
  /** Monotonic; the edge ignores a table older than the one it has. */
  version: number;
  environments: EdgeEnvironment[];
}

export interface EdgeEnvironment {
  name: string;
  /** Address to bind, e.g. "0.0.0.0" or "127.0.0.1". */
  bind: string;
  port: number;
  routes: EdgeRoute[];
  apps: EdgeApp[];
}

/** A request matches a route when its Host is in `hosts` (or `hosts` is null) and its path starts with `prefix`; longest prefix wins, host-specific before host-less. */
export interface EdgeRoute {
  app: string;
  hosts: string[] | null;
  prefix: string;
}

export interface EdgeApp {
  name: string;
  /** Upper bound on how long an upstream may take to answer the response headers. */
  upstreamTimeoutMs: number;
  releases: EdgeRelease[];
}

/** Traffic is split between releases by relative weight; within a release, least outstanding requests wins. */
export interface EdgeRelease {
  release: number;
  weight: number;
  instances: EdgeInstance[];
}

export interface EdgeInstance {
  id: string;
  host: string;
  port: number;
}
