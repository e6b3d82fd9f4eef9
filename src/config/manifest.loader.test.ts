import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { APP_DEFAULTS } from "./manifest.defaults.ts";
import { ManifestError } from "./manifest-error.ts";
import { loadManifest, parseManifest } from "./manifest.loader.ts";
import { appNames, environmentNames, resolveApp } from "./manifest.resolve.ts";

const DESIGN_EXAMPLE = `name: shop
environments:
  staging:    { port: 8081 }
  production: { port: 8080, protected: true }
apps:
  web:
    source: ./web               # directory snapshotted into each artifact (node_modules, .git excluded)
    build: npm ci --omit=dev    # optional, runs once per artifact inside its copy
    run: node server.js         # PORT is set for every instance
    instances: 2
    routes: ["/"]               # path prefixes, longest wins; or hosts: [shop.example.com]
    health: { path: /healthz, interval: 1s, timeout: 1s }
    drain: 10s                  # how long an old instance may finish in-flight requests
    env: { LOG_LEVEL: info }
    release:
      strategy: canary          # rolling | blue-green | canary
      steps: [5, 25, 50, 100]   # canary traffic %, each held for \`pause\`
      pause: 30s
      guards:                   # judged on live traffic, canary against stable
        error_rate: 1%          # absolute ceiling
        p99_latency: 1.5x       # relative to stable
    environments:               # per-environment overrides of any key above
      staging: { instances: 1 }
`;

const MINIMAL = `name: shop
environments:
  production: { port: 8080 }
apps:
  web:
    source: ./web
    run: node server.js
`;

describe("parseManifest", () => {
  it("loads the example from DESIGN 3.1", () => {
    const manifest = parseManifest(DESIGN_EXAMPLE, "/srv/shop/rampart.yaml");
    assert.equal(manifest.name, "shop");
    assert.equal(manifest.path, "/srv/shop/rampart.yaml");
    assert.equal(manifest.dir, "/srv/shop");
    assert.deepEqual(environmentNames(manifest), ["staging", "production"]);
    assert.deepEqual(appNames(manifest), ["web"]);
    const edgeDefaults = {
      tls: null,
      pinFrom: ["127.0.0.1/32", "::1/128"],
      tracing: { sampleRate: 0.01, slowMs: 1_000 },
      limits: { headerTimeoutMs: 10_000, idleTimeoutMs: 60_000, maxHeaderBytes: 16_384 },
      http2: { tls: true, cleartext: false },
    };
    assert.deepEqual(manifest.environments.production, { port: 8080, bind: "0.0.0.0", protected: true, ...edgeDefaults });
    assert.deepEqual(manifest.environments.staging, { port: 8081, bind: "0.0.0.0", protected: false, ...edgeDefaults });

    const web = resolveApp(manifest, "web", "production");
    assert.equal(web.source, "/srv/shop/web");
    assert.equal(web.build, "npm ci --omit=dev");
    assert.equal(web.instances, 2);
    assert.deepEqual(web.health, { path: "/healthz", intervalMs: 1000, timeoutMs: 1000, startTimeoutMs: 60_000, unhealthyThreshold: 3 });
    assert.equal(web.drainMs, 10_000);
    assert.deepEqual(web.env, { LOG_LEVEL: "info" });
    assert.deepEqual(web.limits, { bodyBytes: 10 * 1024 * 1024, ratePerSecond: null, burst: null });
    assert.equal(web.sticky, null);
    assert.deepEqual(web.release, {
      strategy: "canary",
      steps: [5, 25, 50, 100],
      pauseMs: 30_000,
      keepWarmMs: 300_000,
      settleMs: 0,
      holdTimeoutMs: 600_000,
      guards: { errorRate: { kind: "absolute", rate: 0.01 }, p99Latency: { kind: "relative", ratio: 1.5 }, p50Latency: null },
    });
    assert.equal(resolveApp(manifest, "web", "staging").instances, 1);
  });

  it("reads edge settings: TLS files relative to the manifest, pin sources, limits, sticky keys, rate limits", () => {
    const manifest = parseManifest(
      [
        "name: shop",
        "environments:",
        "  production:",
        "    port: 8443",
        "    tls: { cert: ./tls/cert.pem, key: ./tls/key.pem }",
        "    pin_from: [10.0.0.0/8, 192.168.1.7]",
        "    limits: { header_timeout: 5s, idle_timeout: 30s, max_header_size: 8kb }",
        "    http2: { cleartext: true }",
        "apps:",
        "  web:",
        "    source: ./web",
        "    run: node server.js",
        "    limits: { body: 1mb, rate: 600/m }",
        "    sticky: { header: X-User-Id }",
        "    environments:",
        "      production: { limits: { burst: 50 } }",
      ].join("\n"),
      "/srv/shop/rampart.yaml",
    );
    assert.deepEqual(manifest.environments.production, {
      port: 8443,
      bind: "0.0.0.0",
      protected: false,
      tls: { certFile: "/srv/shop/tls/cert.pem", keyFile: "/srv/shop/tls/key.pem" },
      pinFrom: ["10.0.0.0/8", "192.168.1.7"],
      tracing: { sampleRate: 0.01, slowMs: 1_000 },
      limits: { headerTimeoutMs: 5_000, idleTimeoutMs: 30_000, maxHeaderBytes: 8_192 },
      http2: { tls: true, cleartext: true },
    });
    const web = resolveApp(manifest, "web", "production");
    assert.deepEqual(web.limits, { bodyBytes: 1024 * 1024, ratePerSecond: 10, burst: 50 });
    assert.deepEqual(web.sticky, { kind: "header", name: "x-user-id" });
  });

  it("reads headers.underscores per app and environment: drop by default, allow when asked", () => {
    const manifest = parseManifest(
      [
        "name: shop",
        "environments:",
        "  staging: { port: 8081 }",
        "  production: { port: 8080 }",
        "apps:",
        "  web:",
        "    source: ./web",
        "    run: node server.js",
        "    headers: { underscores: allow }",
        "    environments:",
        "      production: { headers: { underscores: drop } }",
      ].join("\n"),
      "/srv/shop/rampart.yaml",
    );
    assert.deepEqual(resolveApp(manifest, "web", "staging").headers, { underscores: "allow" });
    assert.deepEqual(resolveApp(manifest, "web", "production").headers, { underscores: "drop" });
    assert.deepEqual(resolveApp(parseManifest(MINIMAL, "/srv/shop/rampart.yaml"), "web", "production").headers, { underscores: "drop" });
  });

  it("applies production defaults to everything left out", () => {
    const manifest = parseManifest(MINIMAL, "/srv/shop/rampart.yaml");
    const web = resolveApp(manifest, "web", "production");
    assert.deepEqual(web, { name: "web", source: "/srv/shop/web", exclude: [], run: "node server.js", ...APP_DEFAULTS });
    assert.equal(web.instances, 1);
    assert.deepEqual(web.routes, ["/"]);
    assert.equal(web.hosts, null);
    assert.deepEqual(web.health, { path: "/", intervalMs: 1000, timeoutMs: 1000, startTimeoutMs: 60_000, unhealthyThreshold: 3 });
    assert.equal(web.drainMs, 10_000);
    assert.equal(web.timeoutMs, 60_000);
    assert.deepEqual(web.release.steps, [5, 25, 50, 100]);
    assert.equal(web.release.strategy, "rolling");
    assert.equal(web.release.pauseMs, 30_000);
    assert.deepEqual(manifest.apps.web?.base, web);
    // Resolved values are copies: changing one must not change the defaults.
    web.routes.push("/x");
    assert.deepEqual(APP_DEFAULTS.routes, ["/"]);
  });

  it("stringifies env values, lowercases hosts and reads absolute latency guards", () => {
    const manifest = parseManifest(
      `${MINIMAL}    hosts: [Shop.Example.COM]
    env: { WORKERS: 4, DEBUG: false, NAME: x }
    release: { guards: { p50_latency: 300ms, p99_latency: 1s } }
`,
      "rampart.yaml",
    );
    const web = resolveApp(manifest, "web", "production");
    assert.deepEqual(web.hosts, ["shop.example.com"]);
    assert.deepEqual(web.env, { WORKERS: "4", DEBUG: "false", NAME: "x" });
    assert.deepEqual(web.release.guards.p50Latency, { kind: "absolute", ms: 300 });
    assert.deepEqual(web.release.guards.p99Latency, { kind: "absolute", ms: 1000 });
  });

  it("merges environment overrides: objects deep, arrays and scalars replaced", () => {
    const manifest = parseManifest(
      `name: shop
environments:
  staging: { port: 8081, bind: 127.0.0.1 }
  production: { port: 8080, protected: true }
apps:
  web:
    source: ./web
    run: node server.js
    instances: 4
    routes: ["/", "/static"]
    health: { path: /healthz, interval: 2s }
    env: { LOG_LEVEL: info, REGION: eu }
    release: { strategy: canary, pause: 1m, guards: { error_rate: 1%, p99_latency: 1.5x } }
    environments:
      staging:
        run: node server.js --debug
        instances: 1
        routes: ["/"]
        hosts: [staging.example.com]
        health: { interval: 5s }
        env: { LOG_LEVEL: debug }
        release: { steps: [50, 100], hold_timeout: 20m, guards: { error_rate: 5% } }
`,
      "rampart.yaml",
    );
    const staging = resolveApp(manifest, "web", "staging");
    assert.equal(staging.run, "node server.js --debug");
    assert.equal(staging.instances, 1);
    assert.deepEqual(staging.routes, ["/"]);
    assert.deepEqual(staging.hosts, ["staging.example.com"]);
    assert.deepEqual(staging.health, {
      path: "/healthz",
      intervalMs: 5000,
      timeoutMs: 1000,
      startTimeoutMs: 60_000,
      unhealthyThreshold: 3,
    });
    assert.deepEqual(staging.env, { LOG_LEVEL: "debug", REGION: "eu" });
    assert.deepEqual(staging.release, {
      strategy: "canary",
      steps: [50, 100],
      pauseMs: 60_000,
      keepWarmMs: 300_000,
      settleMs: 0,
      holdTimeoutMs: 1_200_000,
      guards: { errorRate: { kind: "absolute", rate: 0.05 }, p99Latency: { kind: "relative", ratio: 1.5 }, p50Latency: null },
    });
    assert.equal(manifest.environments.staging?.bind, "127.0.0.1");

    const production = resolveApp(manifest, "web", "production");
    assert.equal(production.instances, 4);
    assert.deepEqual(production.routes, ["/", "/static"]);
    assert.equal(production.hosts, null);
    assert.deepEqual(production.env, { LOG_LEVEL: "info", REGION: "eu" });
    assert.deepEqual(production.release.guards.errorRate, { kind: "absolute", rate: 0.01 });
  });

  it("accepts /api beside / (longest prefix wins) and one prefix on different hosts", () => {
    const manifest = parseManifest(
      `${MINIMAL}  api:
    source: ./api
    run: node api.js
    routes: ["/api"]
  docs:
    source: ./docs
    run: node docs.js
    hosts: [docs.example.com]
`,
      "rampart.yaml",
    );
    assert.deepEqual(appNames(manifest), ["web", "api", "docs"]);
  });

  it("resolveApp names what exists when asked for something that does not", () => {
    const manifest = parseManifest(MINIMAL, "rampart.yaml");
    assert.throws(() => resolveApp(manifest, "api", "production"), /app "api" is not in .*; apps: web/);
    assert.throws(() => resolveApp(manifest, "web", "staging"), /environment "staging" .*; environments: production/);
  });
});

describe("loadManifest", () => {
  it("reads the file and checks that source directories exist", (t) => {
    const dir = mkdtempSync(join(tmpdir(), "rampart-config-"));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, "rampart.yaml");
    writeFileSync(file, MINIMAL);
    assert.throws(
      () => loadManifest(file),
      (error: unknown) =>
        error instanceof ManifestError &&
        error.issues.length === 1 &&
        error.issues[0]?.line === 6 &&
        error.message.includes(`apps.web.source: ${join(dir, "web")} does not exist`),
    );
    assert.equal(loadManifest(file, { checkSources: false }).name, "shop");
    mkdirSync(join(dir, "web"));
    assert.equal(resolveApp(loadManifest(file), "web", "production").source, join(dir, "web"));
  });

  it("reports a missing file as a ManifestError", () => {
    assert.throws(
      () => loadManifest("/nonexistent/rampart.yaml"),
      (error: unknown) => error instanceof ManifestError && /^\/nonexistent\/rampart\.yaml: not found; `rampart init`/.test(error.message),
    );
  });
});
