import assert from "node:assert/strict";
import { it } from "node:test";
import { ENVIRONMENT_DEFAULTS } from "../config/manifest.defaults.ts";
import type { InstanceRecord } from "../runtime/instance.types.ts";
import { buildRoutingTable } from "./routing-table.builder.ts";

const instance = (id: string, release: number, status: InstanceRecord["status"]): InstanceRecord => ({
  id,
  env: "production",
  app: "web",
  release,
  slot: 1,
  port: 4000 + release,
  status,
  pid: 1,
  pidStart: "1",
  runnerPid: 2,
  runnerStart: "2",
  restarts: 0,
  startedAt: 0,
  updatedAt: 0,
  logPath: "",
  stateDir: "",
  lastExit: null,
});

it("routes only to routable, healthy instances, weighting each release by its serving instances", () => {
  const table = buildRoutingTable({
    version: 7,
    environments: {
      production: { ...ENVIRONMENT_DEFAULTS, port: 8080, protected: true },
      staging: { ...ENVIRONMENT_DEFAULTS, port: 8081, bind: "127.0.0.1" },
    },
    apps: [
      {
        env: "production",
        app: "web",
        routes: ["/", "/shop"],
        hosts: null,
        timeoutMs: 5_000,
        drainMs: 3_000,
        limits: { bodyBytes: 1024, ratePerSecond: 5, burst: null },
        sticky: { kind: "header", name: "x-user" },
      },
    ],
    instances: [
      instance("a", 1, "healthy"),
      instance("b", 1, "healthy"),
      instance("c", 2, "healthy"),
      instance("d", 2, "starting"),
      instance("e", 2, "healthy"),
      instance("f", 1, "unhealthy"),
    ],
    traffic: [{ env: "production", app: "web", routable: ["a", "b", "c", "d", "f"], weights: null, updatedAt: 0 }],
  });
  assert.equal(table.version, 7);
  const production = table.environments.find((e) => e.name === "production");
  assert.deepEqual(production?.routes, [
    { app: "web", hosts: null, prefix: "/" },
    { app: "web", hosts: null, prefix: "/shop" },
  ]);
  assert.deepEqual(
    production?.apps[0]?.releases.map((r) => [r.release, r.weight, r.instances.map((i) => i.id)]),
    [
      [1, 2, ["a", "b"]],
      [2, 1, ["c"]],
    ],
  );
  const staging = table.environments.find((e) => e.name === "staging");
  assert.deepEqual(staging, {
    name: "staging",
    bind: "127.0.0.1",
    port: 8081,
    routes: [],
    apps: [],
    tls: null,
    pinSources: ENVIRONMENT_DEFAULTS.pinFrom,
    tracing: ENVIRONMENT_DEFAULTS.tracing,
    limits: ENVIRONMENT_DEFAULTS.limits,
    http2: ENVIRONMENT_DEFAULTS.http2,
  });
  const web = production?.apps[0];
  assert.deepEqual(
    [web?.drainMs, web?.maxBodyBytes, web?.rateLimit, web?.sticky],
    [3_000, 1024, { perSecond: 5, burst: 5 }, { kind: "header", name: "x-user" }],
  );
});

it("carries an app's underscore-header switch to the edge (off unless the manifest allows it)", () => {
  const base = { routes: ["/"], hosts: null, timeoutMs: 5_000, drainMs: 0, limits: { bodyBytes: 1, ratePerSecond: null, burst: null } };
  const table = buildRoutingTable({
    version: 1,
    environments: { production: { ...ENVIRONMENT_DEFAULTS, port: 8080 } },
    apps: [
      { ...base, env: "production", app: "cgi", sticky: null, underscoresInHeaders: true },
      { ...base, env: "production", app: "web", sticky: null },
    ],
    instances: [],
    traffic: [],
  });
  assert.deepEqual(
    table.environments[0]?.apps.map((a) => [a.name, a.underscoresInHeaders]),
    [
      ["cgi", true],
      ["web", false],
    ],
  );
});
