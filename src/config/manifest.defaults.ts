import type { EnvironmentConfig, ResolvedApp } from "./resolved-manifest.schema.ts";

/**
 * Defaults a production team can live with: one instance, health checked every second, a new
 * instance gets a minute to become healthy, ten seconds to drain, canary steps 5→25→50→100.
 * The starter manifest and the docs quote these, so they live in one place.
 */
export const APP_DEFAULTS = {
  build: null,
  instances: 1,
  routes: ["/"],
  hosts: null,
  health: { path: "/", intervalMs: 1_000, timeoutMs: 1_000, startTimeoutMs: 60_000, unhealthyThreshold: 3 },
  drainMs: 10_000,
  timeoutMs: 60_000,
  env: {},
  // nginx's client_max_body_size is 1m; 10mb fits form uploads without an override. No rate limit by default.
  limits: { bodyBytes: 10 * 1024 * 1024, ratePerSecond: null, burst: null },
  sticky: null,
  // CGI-style servers read X_Forwarded_For as X-Forwarded-For: the edge drops such names unless the app allows them.
  headers: { underscores: "drop" },
  // Scraping is opt-in: `metrics: {}` turns it on with METRICS_SCRAPE_DEFAULTS.
  metrics: null,
  // No secrets required; when an app has some, they come as environment variables unless it asks for files.
  secrets: [],
  secretFiles: false,
  release: {
    strategy: "rolling",
    steps: [5, 25, 50, 100],
    pauseMs: 30_000,
    keepWarmMs: 300_000,
    // Off by default (deploys stay quick); a release that tends to crash a while after it starts wants e.g. 30s.
    settleMs: 0,
    // Like Flagger's progress deadline: a canary step that gets no verdict (too little traffic) fails after this.
    holdTimeoutMs: 600_000,
    guards: { errorRate: null, p99Latency: null, p50Latency: null },
  },
} satisfies Omit<ResolvedApp, "name" | "source" | "run" | "exclude">;

/** An app's `metrics:` scrape when it names no path or interval (Prometheus's own default interval is 1m; 15s here). */
export const METRICS_SCRAPE_DEFAULTS = { path: "/metrics", intervalMs: 15_000 };

export const ENVIRONMENT_DEFAULTS = {
  bind: "0.0.0.0",
  protected: false,
  tls: null,
  // Only this machine may pin a request to a release (X-Rampart-Release) unless the manifest says more.
  pinFrom: ["127.0.0.1/32", "::1/128"],
  // 1 % of new traces get an edge span, plus every error and every request slower than 1 s.
  tracing: { sampleRate: 0.01, slowMs: 1_000 },
  // Slow clients get 10 s to send their headers (slowloris); idle keep-alive connections are closed after 60 s.
  limits: { headerTimeoutMs: 10_000, idleTimeoutMs: 60_000, maxHeaderBytes: 16 * 1024 },
  // Browsers get HTTP/2 over TLS (ALPN, HTTP/1.1 for the rest); cleartext h2 only where a manifest asks for it.
  http2: { tls: true, cleartext: false },
} satisfies Omit<EnvironmentConfig, "port">;

export const MAX_INSTANCES = 64;

/** `access_log: true`: each worker's file is rotated at 64 MB, five rotated files are kept per environment. */
export const ACCESS_LOG_DEFAULTS = { maxBytes: 64 * 1024 * 1024, keep: 5 };
