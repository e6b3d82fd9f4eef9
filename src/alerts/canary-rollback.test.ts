import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { ManifestSource } from "../config/manifest-source.ts";
import { RolloutService } from "../releases/rollout.service.ts";
import { type ControlPlane, RolloutWorld } from "../releases/rollout-engine.fixture.ts";
import { emptyBuckets } from "../shared/measurement.ts";
import { HTTP_DURATION, LATENCY_BOUNDS_SECONDS } from "../telemetry/metrics-edge.sink.ts";
import { MetricsStore } from "../telemetry/metrics.store.ts";
import { FakeNotifier } from "./alert-notifier.fake.ts";
import { type Alerts, createAlerts } from "./alerts.module.ts";
import { deploymentsOf } from "./deploy-context.ts";

const CANARY = "steps: [10, 50, 100], pause: 30s";

let world: RolloutWorld;
let plane: ControlPlane;
let alerts: Alerts;
const metrics = new MetricsStore();
const notifier = new FakeNotifier();

beforeEach(async () => {
  world = await RolloutWorld.create();
  plane = await world.controlPlane();
  const path = join(world.dir, "rampart.yaml");
  writeFileSync(
    path,
    "name: unit\nenvironments:\n  production: { port: 18080 }\napps:\n  web:\n    source: ./web\n    run: node server.js\n",
  );
  const manifests = new ManifestSource(path);
  const rollout = new RolloutService({
    manifests,
    releases: world.releases,
    rollouts: world.rollouts,
    events: plane.events,
    clock: world.clock,
  });
  alerts = createAlerts({
    db: world.database.db,
    events: plane.events,
    clock: world.clock,
    manifest: () => manifests.current,
    metrics: { store: metrics, service: { query: async () => Promise.reject(new Error("no baselines in this test")) } },
    instances: () => plane.runtime.list(),
    deployments: () =>
      deploymentsOf({
        manifest: () => manifests.current,
        activeRollouts: () => world.rollouts.active(),
        liveRelease: async (env, app) => (await world.releases.findByStatus(env, app, "live"))?.number ?? null,
      }),
    abortCanary: async (env, app, reason, evidence) => {
      await rollout.control(env, app, "abort", "rampart", reason, evidence);
    },
    notifier: () => notifier,
    env: {},
  });
});
afterEach(async () => {
  assert.deepEqual(world.violations(), [], "every state change committed with its event");
  await world.close();
});

/** The edge's measurements: release 2 (the canary) fails 40 % of its requests, release 1 none. */
function serveUpTo(sec: number, from: number): void {
  for (let s = from + 1; s <= sec; s++) {
    for (const [release, code, count] of [
      ["1", "200", 9],
      ["2", "200", 3],
      ["2", "500", 2],
    ] as const) {
      const buckets = emptyBuckets(LATENCY_BOUNDS_SECONDS.length);
      buckets[3] = count;
      const labels = { env: "production", app: "web", release, route: "/", instance: `r${release}`, code };
      metrics.addHistogram(HTTP_DURATION, labels, LATENCY_BOUNDS_SECONDS, s, count, count * 0.01, buckets);
    }
  }
}

describe("deploy-aware alerting with the real rollout engine", () => {
  it("a critical alert during a canary rolls it back through the rollout service, with the alert as evidence", async () => {
    const first = await world.createRelease(plane, { strategy: "canary", release: CANARY });
    plane.engine.run(first.rolloutId);
    await plane.engine.settled(first.rolloutId);
    const { number, rolloutId } = await world.createRelease(plane, { strategy: "canary", release: CANARY });
    plane.engine.run(rolloutId);
    // The engine sleeps on the fake clock (each tick moves it); evaluate a round whenever 5 s have passed.
    let fed = Math.floor(world.clock.now() / 1000);
    let lastRound = 0;
    const deadline = world.clock.now() + 300_000;
    for (;;) {
      const rollout = await world.rollouts.get(rolloutId);
      if (rollout?.state === "completed" || rollout?.state === "failed" || world.clock.now() > deadline) break;
      const nowSec = Math.floor(world.clock.now() / 1000);
      if (rollout?.state === "shifting") serveUpTo(nowSec, fed);
      fed = nowSec;
      if (world.clock.now() - lastRound >= 5000) {
        lastRound = world.clock.now();
        await alerts.evaluator.round();
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    await plane.engine.settled(rolloutId);
    assert.equal((await world.releases.get("production", "web", number))?.status, "rolled_back");
    assert.equal((await world.releases.get("production", "web", first.number))?.status, "live");
    const events = await world.events();
    const aborted = events.find((e) => e.type === "rollout.aborted");
    assert.equal(aborted?.actor, "rampart");
    assert.match(aborted?.message ?? "", /critical alert high_error_ratio fired during the canary/);
    const evidence = aborted?.data.evidence as Record<string, unknown> | undefined;
    assert.equal(evidence?.alert, "high_error_ratio");
    assert.equal(evidence?.severity, "critical");
    assert.ok(typeof evidence?.value === "number" && evidence.value > 0.05);
    assert.deepEqual(evidence?.labels, {
      release: String(number),
      rollout: String(rolloutId),
      rollout_strategy: "canary",
      stable_release: String(first.number),
      env: "production",
      app: "web",
      alertname: "high_error_ratio",
      severity: "critical",
    });
    const firing = events.find((e) => e.type === "alert.firing");
    assert.ok(firing && aborted && firing.id < aborted.id, "the alert fired, then the canary was aborted");
    assert.equal(events.filter((e) => e.type === "rollout.aborted").length, 1, "aborted once");
  });
});
