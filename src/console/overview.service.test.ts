import assert from "node:assert/strict";
import { test } from "node:test";
import type { AlertView } from "../alerts/alert.view.ts";
import type { RampartEvent } from "../events/event.types.ts";
import type { PlatformStatus } from "../platform/status.types.ts";
import type { RolloutView } from "../releases/rollout.view.ts";
import { OverviewService, type OverviewSources } from "./overview.service.ts";

const NOW = Date.UTC(2026, 11, 5, 12, 0, 30);

function instance(id: string, health: "healthy" | "unhealthy" | "stopped") {
  return { id, release: 3, pid: 1, port: 1, health, routable: true, restarts: 0, startedAt: NOW, lastExit: null, lastProbe: null };
}

const status: PlatformStatus = {
  project: "shop",
  manifest: "/x/rampart.yaml",
  dataDir: "/x/.rampart",
  version: "test",
  controlPlane: { pid: 1, startedAt: NOW },
  edge: { pid: 2 },
  leftovers: [],
  environments: [
    {
      name: "production",
      url: "http://127.0.0.1:8080",
      port: 8080,
      bind: "127.0.0.1",
      protected: true,
      listening: true,
      error: null,
      apps: [
        { name: "web", live: 3, deploying: 4, instances: [instance("a", "healthy"), instance("b", "unhealthy"), instance("c", "stopped")] },
        { name: "api", live: null, deploying: null, instances: [] },
      ],
    },
  ],
};

function event(id: number, type: RampartEvent["type"]): RampartEvent {
  return {
    id,
    at: NOW - id,
    type,
    env: "production",
    app: "web",
    release: 3,
    instance: null,
    actor: "ana",
    message: type,
    data: {},
  } as RampartEvent;
}

function sources(over: Partial<OverviewSources> = {}): OverviewSources {
  const rows = (rps: number) => ({ key: null, requests: rps * 60, rps, errors: 0, errorPercent: 0.5, p50Ms: 3, p95Ms: 8, p99Ms: 12 });
  return {
    status: async () => status,
    summary: async (env, app) => ({ env, app, by: null, from: NOW - 60_000, to: NOW, rows: [], total: rows(app === "web" ? 40 : 0) }),
    latencySeries: async (from, to) => ({
      metric: "rampart_http_request_duration_seconds",
      fn: "quantile",
      from,
      to,
      stepMs: 60_000,
      windowMs: 60_000,
      source: "memory",
      series: [
        {
          labels: { env: "production", app: "web" },
          points: [
            [from, 0.012],
            [to, null],
          ],
        },
      ],
    }),
    rollout: async (env, app): Promise<RolloutView> => ({
      env,
      app,
      release: 4,
      fromRelease: 3,
      strategy: "canary",
      state: "shifting",
      step: 0,
      steps: [10, 50],
      canaryPercent: 10,
      paused: false,
      message: null,
      verdict: null,
      outcome: null,
      promotedBy: null,
      abortedBy: null,
      startedAt: NOW,
      trafficSince: NOW,
      rolledBackAt: null,
      updatedAt: NOW,
      finishedAt: null,
    }),
    alerts: async () => [
      {
        fingerprint: "f1",
        rule: "HighErrorRate",
        state: "firing",
        labels: {},
        annotations: {},
        value: 1,
        activeAt: NOW,
        firedAt: NOW,
        resolvedAt: null,
      },
      {
        fingerprint: "f2",
        rule: "Slow",
        state: "pending",
        labels: {},
        annotations: {},
        value: 1,
        activeAt: NOW,
        firedAt: null,
        resolvedAt: null,
      },
    ],
    openIncidents: async () => [],
    onCall: async () => [],
    events: async (query) =>
      ({
        "release.": [event(5, "release.live"), event(6, "release.created")],
        "flag.": [event(9, "flag.changed"), event(8, "flag.rollout.step")],
        "role.": [event(7, "role.granted")],
      })[query.type ?? ""] ?? [],
    ...over,
  };
}

test("the overview has one row per env and app with its health, traffic, sparkline and rollout in progress", async () => {
  const overview = await new OverviewService(sources(), { now: () => NOW }).overview();
  assert.equal(overview.project, "shop");
  assert.deepEqual(
    overview.rows.map((r) => [r.env, r.app, r.live, r.instances, r.healthy, r.rps, r.p99Ms]),
    [
      ["production", "web", 3, 2, 1, 40, 12],
      ["production", "api", null, 0, 0, 0, 12],
    ],
  );
  assert.deepEqual(overview.rows[0]?.spark, [12, null], "p99 in ms per minute, gaps kept");
  assert.equal(overview.rows[0]?.rollout?.canaryPercent, 10);
  assert.equal(overview.rows[1]?.rollout, null);
  assert.deepEqual(
    overview.alerts.map((a) => a.rule),
    ["HighErrorRate"],
    "only firing alerts",
  );
});

test("the latest changes are the deploys, flag, secret and access changes, newest first, without platform noise", async () => {
  const overview = await new OverviewService(sources(), { now: () => NOW }).overview();
  assert.deepEqual(
    overview.changes.map((e) => e.type),
    ["flag.changed", "role.granted", "release.live"],
  );
});

test("a rollout that cannot be read leaves its row without one rather than failing the page", async () => {
  const overview = await new OverviewService(
    sources({
      rollout: async () => {
        throw new Error("gone");
      },
    }),
    { now: () => NOW },
  ).overview();
  assert.equal(overview.rows[0]?.rollout, null);
});

test("a caller who may read only staging gets staging's rows, changes, alerts and incidents, and production named as hidden", async () => {
  const production = status.environments[0];
  assert.ok(production);
  const staging = { ...production, name: "staging", protected: false, url: "http://127.0.0.1:8081", port: 8081 };
  const alert = (fingerprint: string, env: string | undefined): AlertView => ({
    fingerprint,
    rule: `Rule-${fingerprint}`,
    state: "firing",
    labels: env === undefined ? {} : { env },
    annotations: {},
    value: 1,
    activeAt: NOW,
    firedAt: NOW,
    resolvedAt: null,
  });
  const inEnv = (id: number, env: string | null): RampartEvent => ({ ...event(id, "release.live"), env });
  const incident = (id: number, env: string | null) =>
    ({ id, env }) as unknown as Awaited<ReturnType<OverviewSources["openIncidents"]>>[number];
  const service = new OverviewService(
    sources({
      status: async () => ({ ...status, environments: [production, staging] }),
      alerts: async () => [alert("p", "production"), alert("s", "staging"), alert("none", undefined)],
      openIncidents: async () => [incident(1, "production"), incident(2, "staging"), incident(3, null)],
      events: async (query) => (query.type === "release." ? [inEnv(1, "production"), inEnv(2, "staging"), inEnv(3, null)] : []),
    }),
    { now: () => NOW },
  );
  const scoped = await service.overview((env) => env === "staging");
  assert.deepEqual([...new Set(scoped.rows.map((r) => r.env))], ["staging"]);
  assert.deepEqual(scoped.hidden, ["production"]);
  assert.deepEqual(
    scoped.changes.map((e) => e.id),
    [2],
    "production's and the environment-less changes are left out",
  );
  assert.deepEqual(
    scoped.alerts.map((a) => a.fingerprint),
    ["s"],
  );
  assert.deepEqual(
    scoped.incidents.map((i) => i.id),
    [2],
  );
  const everything = await service.overview();
  assert.deepEqual(everything.hidden, []);
  assert.deepEqual(
    everything.changes.map((e) => e.id),
    [3, 2, 1],
  );
  assert.deepEqual(everything.alerts.length, 3);
  assert.deepEqual(everything.incidents.length, 3);
});
