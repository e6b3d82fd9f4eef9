import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it } from "node:test";
import type { RolloutState } from "./rollout.types.ts";
import { reconcileLive } from "./live-reconcile.ts";
import { type ControlPlane, RolloutWorld } from "./rollout-engine.fixture.ts";

let world: RolloutWorld;
let plane: ControlPlane;

beforeEach(async () => {
  world = await RolloutWorld.create();
  plane = await world.controlPlane();
  const created = await world.createRelease(plane, { strategy: "rolling" });
  plane.engine.run(created.rolloutId);
  await plane.engine.settled(created.rolloutId);
});
afterEach(async () => {
  assert.deepEqual(world.violations(), [], "every state change committed with its event");
  await world.close();
});

/** `rampart down`: every instance drained and stopped; then a new control plane on the same data. */
async function downAndUp(): Promise<ControlPlane> {
  for (const instance of plane.runtime.list()) await plane.runtime.drainAndStop(instance.id, "rampart down");
  return world.controlPlane();
}

function reconcile(on: ControlPlane, rollouts: { env: string; app: string; state: RolloutState }[] = []) {
  return reconcileLive({
    manifest: () => ({ environments: { production: {} }, apps: { web: {} } }),
    releases: world.releases,
    supervisor: on.runtime,
    traffic: on.traffic,
    launchConfig: () => ({
      cwd: world.dir,
      command: "true",
      env: {},
      health: { path: "/", intervalMs: 500, timeoutMs: 1000, unhealthyThreshold: 3, startTimeoutMs: 15_000 },
      drainMs: 1000,
    }),
    activeRollouts: async () => rollouts,
  });
}

describe("live releases come back (reconcileLive)", () => {
  it("starts the live release's stopped slots again, same ids, one instance.created each, back in rotation", async () => {
    const ids = plane.runtime.list().map((i) => i.id);
    assert.equal(ids.length, 2);
    const next = await downAndUp();
    assert.deepEqual(next.traffic.get("production", "web").routable, []);
    const createdBefore = (await world.events()).filter((e) => e.type === "instance.created").length;

    const done = await reconcile(next);
    assert.deepEqual(done, [{ env: "production", app: "web", release: 1, started: ids }]);
    assert.deepEqual(next.traffic.get("production", "web").routable, ids);
    assert.deepEqual(
      next.runtime.list().map((i) => [i.id, i.status]),
      ids.map((id) => [id, "healthy"]),
    );
    const created = (await world.events()).filter((e) => e.type === "instance.created").slice(createdBefore);
    assert.deepEqual(created.map((e) => e.message).sort(), ids.map((id) => `re-created ${id}`).sort());

    assert.deepEqual(await reconcile(next), [], "nothing missing: nothing started");
  });

  it("starts only the missing slots", async () => {
    const [first] = plane.runtime.list();
    assert.ok(first);
    await plane.runtime.drainAndStop(first.id, "stopped by hand");
    const done = await reconcile(plane);
    assert.deepEqual(done[0]?.started, [first.id]);
    assert.equal(plane.runtime.list().length, 2);
  });

  it("leaves an app whose rollout is starting or moving traffic to it; warm or draining ones are reconciled", async () => {
    const next = await downAndUp();
    assert.deepEqual(await reconcile(next, [{ env: "production", app: "web", state: "shifting" }]), []);
    assert.equal(next.runtime.list().length, 0);
    const done = await reconcile(next, [{ env: "production", app: "web", state: "warm" }]);
    assert.equal(done[0]?.started.length, 2);
  });
});
