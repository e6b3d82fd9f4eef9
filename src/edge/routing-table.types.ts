/**
 * Fields marked optional were added after the first version: the edge's schema fills their defaults, so a
 * table persisted by an older edge still loads.
 *
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
  /** TLS termination from these PEM files, reloaded when they change; null: plain HTTP. */
  tls?: { certFile: string; keyFile: string } | null;
  /**
   * The control plane's synthetic checks send it as `X-Rampart-Probe`: such requests are proxied like any other but
   * left out of the app's measurements (a check is not a user). Random per control plane; null: none.
   */
  probeToken?: string | null;
  /** Client address blocks (CIDR) allowed to pin a request to a release with `X-Rampart-Release: N`. */
  pinSources?: string[];
  /** The edge's server spans: share of new traces sampled (0..1) and the duration from which every request gets one. */
  tracing?: { sampleRate: number; slowMs: number };
  /** JSON-lines access log in `dir` (access-log.ts), rotated at `maxBytes`, `keep` rotated files kept; null: none. */
  accessLog?: { dir: string; maxBytes: number; keep: number } | null;
  limits?: {
    /** A client must finish its request headers within this, else 408 and close (slowloris). */
    headerTimeoutMs: number;
    /** Idle keep-alive connections are closed after this. */
    idleTimeoutMs: number;
    /** Larger request headers get 431. */
    maxHeaderBytes: number;
  };
  /** HTTP/2 to clients (edge-http2.ts): over TLS when ALPN picks h2, and cleartext with prior knowledge. */
  http2?: { tls: boolean; cleartext: boolean };
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
  /** How long a removed instance may finish; long-lived streams (WebSocket, SSE) to it are closed cleanly just before. */
  drainMs?: number;
  /** Larger request bodies get 413. */
  maxBodyBytes?: number;
  /** Per client IP (token bucket); null: no limit. Above it: 429 with Retry-After. */
  rateLimit?: { perSecond: number; burst: number } | null;
  /** What keeps a client on one side of a weighted split: null is the edge's own cookie (`rampart_sticky`). */
  sticky?: { kind: "cookie" | "header"; name: string } | null;
  /** Forward client headers whose names hold an underscore (dropped by default, as nginx does). */
  underscoresInHeaders?: boolean;
  /** Real-user monitoring (`rum: true`): HTML pages get the RUM tag, beacons are taken at /_rampart/rum. */
  rum?: boolean;
  /** The weights are a canary split (by percentage), so clients are kept on one side; otherwise they only balance load. */
  split?: boolean;
  /** Authentication at the edge (gateway-auth.ts); null or absent: every request goes through. */
  auth?: EdgeAuth | null;
}

/** What the edge checks before a request reaches the app (manifest `apps.<app>.auth`). */
export interface EdgeAuth {
  /** Path prefixes served without credentials (segment boundaries, as routes). */
  public: string[];
  /** JWT bearer tokens: `jwks` is an absolute file path or an http(s) URL. */
  jwt: { jwks: string; issuer: string; audience: string; requiredClaims: string[] } | null;
  /** The app's API keys that are not revoked: only their SHA-256 (hex), never the keys. null: API keys are off. */
  apiKeys: { id: string; sha256: string }[] | null;
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
