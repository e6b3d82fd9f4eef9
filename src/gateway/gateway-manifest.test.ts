import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseManifest } from "../config/manifest.loader.ts";
import { parseRoutingTable } from "../edge/routing-table.schema.ts";
import { buildRoutingTable } from "../traffic/routing-table.builder.ts";

const manifest = (app: string, env = "") => `name: shop
environments:
  staging: { port: 8081${env} }
  production: { port: 8080, protected: true }
apps:
  web:
    source: ./web
    run: node server.js
${app}
`;

const AUTH = `    auth:
      jwt: { jwks: ./jwks.json, issuer: https://id.example.com/, audience: shop, required_claims: [tenant] }
      api_keys: true
      public: [/healthz, /assets]
    environments:
      production:
        auth: { jwt: { jwks: https://id.example.com/.well-known/jwks.json, issuer: https://id.example.com/, audience: shop } }`;

describe("rampart.yaml auth: and access_log:", () => {
  it("resolves the issue's shape: a JWKS file relative to rampart.yaml, a URL as it is, per-environment overrides", () => {
    const m = parseManifest(manifest(AUTH), "/srv/shop/rampart.yaml");
    assert.deepEqual(m.apps.web?.perEnv.staging?.auth, {
      jwt: { jwks: "/srv/shop/jwks.json", issuer: "https://id.example.com/", audience: "shop", requiredClaims: ["tenant"] },
      apiKeys: true,
      public: ["/healthz", "/assets"],
    });
    // An override replaces what it names (jwt), keeps the rest (api_keys, public).
    assert.deepEqual(m.apps.web?.perEnv.production?.auth, {
      jwt: {
        jwks: "https://id.example.com/.well-known/jwks.json",
        issuer: "https://id.example.com/",
        audience: "shop",
        requiredClaims: [],
      },
      apiKeys: true,
      public: ["/healthz", "/assets"],
    });
    assert.equal(m.apps.web?.perEnv.staging?.auth === undefined, false);
  });

  it("turns access_log: true or a mapping into sizes, and leaves environments without one alone", () => {
    const on = parseManifest(manifest("", ", access_log: true"), "/srv/shop/rampart.yaml");
    assert.deepEqual(on.environments.staging?.accessLog, { maxBytes: 64 * 1024 * 1024, keep: 5 });
    assert.equal(on.environments.production?.accessLog, undefined);
    const sized = parseManifest(manifest("", ", access_log: { max_size: 10mb, keep: 2 }"), "/srv/shop/rampart.yaml");
    assert.deepEqual(sized.environments.staging?.accessLog, { maxBytes: 10 * 1024 * 1024, keep: 2 });
  });

  it("names the key path and the fix for a wrong auth: shape", () => {
    const cases: [string, RegExp][] = [
      ["    auth: { public: [/healthz] }", /lets nobody in without jwt or api_keys: true/],
      ["    auth: { jwt: { jwks: ./jwks.json, issuer: x } }", /apps\.web\.auth\.jwt\.audience/],
      ["    auth: { api_keys: yes-please }", /apps\.web\.auth\.api_keys: expected true or false/],
      ["    auth: { api_keys: true, public: [healthz] }", /does not start with "\/"/],
      ["    auth: { api_keys: true, jwks: ./jwks.json }", /apps\.web\.auth/],
    ];
    for (const [yaml, message] of cases) assert.throws(() => parseManifest(manifest(yaml), "/srv/shop/rampart.yaml"), message, yaml);
  });

  it("builds a table the edge accepts: auth with only the active keys' hashes, the access log's directory", () => {
    const m = parseManifest(manifest(AUTH, ", access_log: true"), "/srv/shop/rampart.yaml");
    const config = m.apps.web?.perEnv.staging;
    assert.ok(config !== undefined);
    const hash = "a".repeat(64);
    const table = buildRoutingTable({
      version: 7,
      environments: m.environments,
      apps: [
        {
          env: "staging",
          app: "web",
          routes: config.routes,
          hosts: config.hosts,
          timeoutMs: config.timeoutMs,
          drainMs: config.drainMs,
          limits: config.limits,
          sticky: config.sticky,
          auth: config.auth ?? null,
          apiKeys: [{ id: "ci", sha256: hash }],
        },
      ],
      instances: [],
      traffic: [],
      accessLogRoot: "/data/logs/edge-access",
    });
    const parsed = parseRoutingTable(table);
    assert.ok(parsed.ok, parsed.ok ? "" : parsed.message);
    const staging = parsed.table.environments.find((e) => e.name === "staging");
    assert.deepEqual(staging?.accessLog, { dir: "/data/logs/edge-access/staging", maxBytes: 64 * 1024 * 1024, keep: 5 });
    assert.deepEqual(staging?.apps[0]?.auth, {
      public: ["/healthz", "/assets"],
      jwt: { jwks: "/srv/shop/jwks.json", issuer: "https://id.example.com/", audience: "shop", requiredClaims: ["tenant"] },
      apiKeys: [{ id: "ci", sha256: hash }],
    });
    assert.equal(parsed.table.environments.find((e) => e.name === "production")?.accessLog, null);
    // A table from an older control plane (no auth, no access log) still loads, with neither.
    const old = parseRoutingTable({ version: 1, environments: [{ name: "e", bind: "127.0.0.1", port: 1, routes: [], apps: [] }] });
    assert.ok(old.ok && old.table.environments[0]?.accessLog === null);
  });
});
