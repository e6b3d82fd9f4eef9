import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { diffApp, diffEnvironmentLimits, majorOf } from "./parity-diff.ts";
import type { AppSide, TableStats } from "./parity.types.ts";

function side(env: string, over: Partial<AppSide> = {}): AppSide {
  return {
    env,
    release: 1,
    artifact: "sha256-a",
    run: "node server.js",
    build: null,
    envVars: {},
    secrets: {},
    instances: { declared: 2, running: 2, healthy: 2 },
    limits: { bodyBytes: 1024, ratePerSecond: null, burst: null, timeoutMs: 30_000 },
    routes: ["/"],
    hosts: null,
    health: { path: "/healthz", intervalMs: 1000, timeoutMs: 1000, startTimeoutMs: 30_000, unhealthyThreshold: 3 },
    drainMs: 10_000,
    strategy: "rolling",
    runtimes: [{ binary: "/usr/bin/node", name: "node", version: "v24.1.0", instances: 2 }],
    databases: [],
    ...over,
  };
}

const keys = (a: AppSide, b: AppSide) => diffApp("web", a, b).map((d) => `${d.key}:${d.severity}`);
const table = (name: string, rows: number, indexes: [string, string][] = []): TableStats => ({
  name,
  rows,
  bytes: rows * 64,
  indexes: indexes.map(([n, definition]) => ({ name: n, definition })),
});

describe("parity-diff: the rules", () => {
  it("two identical sides have no drift", () => {
    assert.deepEqual(keys(side("staging"), side("production")), []);
  });

  it("health path is critical, its timings, drain, limits and timeout warnings, hosts and strategy info", () => {
    const b = side("production", {
      health: { path: "/ready", intervalMs: 5000, timeoutMs: 1000, startTimeoutMs: 30_000, unhealthyThreshold: 3 },
      drainMs: 30_000,
      limits: { bodyBytes: 2048, ratePerSecond: 100, burst: 100, timeoutMs: 60_000 },
      hosts: ["shop.example.com"],
      strategy: "canary",
    });
    assert.deepEqual(keys(side("staging"), b).sort(), [
      "drain:warning",
      "health.intervalMs:warning",
      "health.path:critical",
      "hosts:info",
      "limits.body:warning",
      "limits.burst:warning",
      "limits.rate:warning",
      "release.strategy:info",
      "timeout:warning",
    ]);
  });

  it("unhealthy instances and mixed binaries in one environment are warnings", () => {
    const b = side("production", {
      instances: { declared: 2, running: 2, healthy: 1 },
      runtimes: [
        { binary: "/usr/bin/node", name: "node", version: "v24.1.0", instances: 1 },
        { binary: "/opt/node/bin/node", name: "node", version: "v24.1.0", instances: 1 },
      ],
    });
    assert.deepEqual(keys(side("staging"), b), ["health.instances.production:warning", "runtime.mixed.production:warning"]);
  });

  it("another interpreter is critical; majors are read from each interpreter's own version text", () => {
    const python = side("production", {
      runtimes: [{ binary: "/usr/bin/python3.11", name: "python3.11", version: "Python 3.11.2", instances: 2 }],
    });
    assert.deepEqual(keys(side("staging"), python), ["runtime:critical"]);
    assert.deepEqual(
      [majorOf("v24.11.1"), majorOf("Python 3.11.2"), majorOf(null), majorOf('openjdk version "21.0.5"')],
      [24, 3, null, 21],
    );
  });

  it("a table in one database only, an index defined differently; few rows are not a volume drift", () => {
    const db = (tables: TableStats[]) => [{ name: "main", kind: "postgres", error: null, tables }];
    const a = side("staging", {
      databases: db([table("users", 40, [["users_email_idx", "CREATE INDEX users_email_idx ON public.users USING btree (email)"]])]),
    });
    const b = side("production", {
      databases: db([
        table("users", 60, [["users_email_idx", "CREATE UNIQUE INDEX users_email_idx ON public.users USING btree (email)"]]),
        table("audit.events", 10),
      ]),
    });
    assert.deepEqual(keys(a, b), ["databases.main.tables.audit.events:critical", "databases.main.indexes.users_email_idx:critical"]);
  });

  it("the environments' edge limits", () => {
    const limits = { headerTimeoutMs: 10_000, idleTimeoutMs: 60_000, maxHeaderBytes: 16_384 };
    assert.deepEqual(
      diffEnvironmentLimits("staging", "production", limits, { ...limits, idleTimeoutMs: 5_000 }).map((d) => [d.key, d.severity]),
      [["limits.edge.idleTimeoutMs", "warning"]],
    );
  });
});
