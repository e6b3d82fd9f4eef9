import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it } from "node:test";
import type { ReleaseStrategy } from "../config/resolved-manifest.schema.ts";
import { type ControlPlane, type FakeWindows, healthyTraffic, RolloutWorld } from "./rollout-engine.fixture.ts";

const CANARY = "steps: [10, 50, 100], pause: 30s";

let world: RolloutWorld;
let plane: ControlPlane;

beforeEach(async () => {
  world = await RolloutWorld.create();
  plane = await world.controlPlane();
});
afterEach(async () => {
  assert.deepEqual(world.violations(), [], "every state change committed with its event");
  await world.close();
});

async function deploy(strategy: ReleaseStrategy, release = "", on: ControlPlane = plane): Promise<{ number: number; rolloutId: number }> {
  const created = await world.createRelease(on, { strategy, release });
  on.engine.run(created.rolloutId);
  await on.engine.settled(created.rolloutId);
  return created;
}

async function stepsOf(release: number): Promise<string[]> {
  const steps = (await world.events()).filter(
    (e) => e.release === release && (e.type === "rollout.step" || e.type === "rollout.completed"),
  );
  const states = steps.map((e) => `${String(e.data.state)}:${String(e.data.step)}`);
  return states.filter((s, i) => s !== states[i - 1]);
}

async function splitsOf(release: number): Promise<unknown[]> {
  return (await world.events())
    .filter((e) => e.type === "traffic.changed" && e.release === release)
    .map((e) => (e.data.after as { weights: unknown }).weights);
}

const routable = () => plane.traffic.get("production", "web").routable;

describe("the rollout engine without processes (fake runtime, fake clock, fake edge)", () => {
  it("a first release: building → starting → shifting → draining → completed; its instances take the traffic", async () => {
    const { number, rolloutId } = await deploy("rolling");
    assert.equal((await world.releases.get("production", "web", number))?.status, "live");
    assert.equal((await world.rollouts.get(rolloutId))?.state, "completed");
    assert.deepEqual(await stepsOf(number), ["starting:0", "shifting:0", "shifting:1", "shifting:2", "draining:2", "completed:2"]);
    assert.deepEqual(routable(), ["production.web.r1.1", "production.web.r1.2"]);
    const types = new Set((await world.events()).map((e) => e.type));
    for (const type of ["instance.created", "release.deploying", "traffic.changed", "release.live"])
      assert.ok(types.has(type as never), type);
  });

  it("rolling: one new instance in and one old out per step; the old release superseded and drained", async () => {
    await deploy("rolling");
    const { number } = await deploy("rolling");
    assert.equal((await world.releases.get("production", "web", 1))?.status, "superseded");
    assert.equal((await world.releases.get("production", "web", number))?.status, "live");
    assert.deepEqual(routable(), ["production.web.r2.1", "production.web.r2.2"]);
    assert.deepEqual(
      plane.runtime.list().map((i) => i.id),
      ["production.web.r2.1", "production.web.r2.2"],
    );
    const moves = (await world.events()).filter((e) => e.type === "traffic.changed" && e.release === number);
    assert.deepEqual(
      moves.slice(0, 2).map((e) => (e.data.after as { routable: string[] }).routable),
      [
        ["production.web.r1.2", "production.web.r2.1"],
        ["production.web.r2.1", "production.web.r2.2"],
      ],
    );
  });

  it("blue-green: all at once, the old release kept warm, then drained when the warm time is over", async () => {
    await deploy("blue-green");
    const { number, rolloutId } = await deploy("blue-green", "keep_warm: 10m");
    assert.deepEqual(await stepsOf(number), ["starting:0", "shifting:0", "shifting:1", "warm:1", "draining:1", "completed:1"]);
    assert.equal((await world.rollouts.get(rolloutId))?.state, "completed");
    assert.deepEqual(routable(), ["production.web.r2.1", "production.web.r2.2"]);
  });

  it("blue-green switch back: during warm the old release takes all traffic again with one traffic change", async () => {
    await deploy("blue-green");
    const created = await world.createRelease(plane, { strategy: "blue-green", release: "keep_warm: 10m" });
    plane.engine.run(created.rolloutId);
    for (;;) {
      if ((await world.rollouts.get(created.rolloutId))?.state === "warm") break;
      await new Promise((resolve) => setImmediate(resolve));
    }
    const rollout = await world.rollouts.get(created.rolloutId);
    assert.ok(rollout);
    await plane.engine.switchBack(rollout, "alice");
    await plane.engine.settled(created.rolloutId);
    assert.equal((await world.releases.get("production", "web", 1))?.status, "live");
    assert.equal((await world.releases.get("production", "web", 2))?.status, "rolled_back");
    assert.deepEqual(routable(), ["production.web.r1.1", "production.web.r1.2"]);
    const back = (await world.events()).find((e) => e.type === "traffic.changed" && e.actor === "alice");
    assert.match(back?.message ?? "", /rollback by alice/);
  });

  it("canary: each step's share as release weights, judged, then promoted at 100 %; the split ends with the rollout", async () => {
    await deploy("canary", CANARY);
    const { number } = await deploy("canary", CANARY);
    assert.equal((await world.releases.get("production", "web", number))?.status, "live");
    assert.deepEqual(await splitsOf(number), [{ 1: 90, 2: 10 }, { 1: 50, 2: 50 }, null]);
    const percents = (await world.events())
      .filter((e) => e.type === "rollout.step" && e.release === number && typeof e.data.canaryPercent === "number")
      .map((e) => e.data.canaryPercent);
    assert.deepEqual([...new Set(percents)], [10, 50]);
    assert.equal(plane.traffic.get("production", "web").weights, null);
  });

  it("canary failing under traffic: rolled back at once, all traffic on stable, the split cleared", async () => {
    await deploy("canary", CANARY);
    world.windows = (release, since, now) => {
      const window = healthyTraffic(release, since, now);
      return release === 2 ? { ...window, errors: Math.floor(window.requests * 0.2) } : window;
    };
    const { number, rolloutId } = await deploy("canary", CANARY);
    assert.equal((await world.releases.get("production", "web", number))?.status, "rolled_back");
    const rollout = await world.rollouts.get(rolloutId);
    assert.equal(rollout?.data.outcome, "rolled_back");
    assert.equal(rollout?.data.verdict?.decision, "fail");
    assert.equal(rollout?.data.canaryPercent, undefined);
    assert.deepEqual(routable(), ["production.web.r1.1", "production.web.r1.2"]);
    assert.equal(plane.traffic.get("production", "web").weights, null);
    assert.equal((await world.releases.get("production", "web", 1))?.status, "live");
  });

  it("a release whose instances never become healthy fails before taking traffic; stable keeps serving", async () => {
    await deploy("rolling");
    plane.runtime.launchAs = "failed";
    const { number, rolloutId } = await deploy("rolling");
    assert.equal((await world.releases.get("production", "web", number))?.status, "failed");
    assert.equal((await world.rollouts.get(rolloutId))?.state, "failed");
    assert.deepEqual(routable(), ["production.web.r1.1", "production.web.r1.2"]);
    assert.ok(!(await world.events()).some((e) => e.type === "traffic.changed" && e.release === number && e.message.includes("r2")));
  });

  for (const action of ["abort", "promote", "pause"] as const) {
    it(`canary ${action} requested through the persisted rollout is obeyed at the next tick`, async () => {
      await deploy("canary", CANARY);
      const created = await world.createRelease(plane, { strategy: "canary", release: CANARY });
      plane.engine.run(created.rolloutId);
      for (;;) {
        const r = await world.rollouts.get(created.rolloutId);
        if (r?.state === "shifting" && r.step === 1) break;
        await new Promise((resolve) => setImmediate(resolve));
      }
      const data =
        action === "abort"
          ? { abortRequested: { by: "bob", reason: "looks wrong" } }
          : action === "promote"
            ? { promoteRequestedBy: "bob" }
            : { paused: true };
      await plane.events.transact(async (trx, emit) => {
        await world.rollouts.update(trx, created.rolloutId, { updatedAt: world.clock.now(), data });
        await emit({
          type: action === "abort" ? "rollout.aborted" : action === "promote" ? "rollout.promoted" : "rollout.paused",
          message: action,
        });
      });
      if (action === "pause") {
        // Paused: far past the pause, the step does not advance; resumed, it goes on to the end.
        const until = world.clock.now() + 120_000;
        while (world.clock.now() < until) await new Promise((resolve) => setImmediate(resolve));
        const held = await world.rollouts.get(created.rolloutId);
        assert.equal(held?.step, 1);
        assert.equal(held?.state, "shifting");
        await plane.events.transact(async (trx, emit) => {
          await world.rollouts.update(trx, created.rolloutId, { updatedAt: world.clock.now(), data: { paused: false } });
          await emit({ type: "rollout.resumed", message: "resume" });
        });
      }
      await plane.engine.settled(created.rolloutId);
      const status = (await world.releases.get("production", "web", created.number))?.status;
      assert.equal(status, action === "abort" ? "rolled_back" : "live");
      if (action === "abort") assert.match((await world.rollouts.get(created.rolloutId))?.data.message ?? "", /aborted by bob/);
    });
  }
});

/**
 * A kill -9 of the control plane after each persisted write of a rollout (every event it commits), then a new
 * control plane on the same database: the rollout resumes and ends as an uninterrupted one does, with the same
 * steps in the same order (none repeated as a new step, none skipped), and the same traffic at the end.
 */
describe("a crash after each persisted step, then a resume by a new control plane", () => {
  const failingCanary: FakeWindows = (release, since, now) => {
    const window = healthyTraffic(release, since, now);
    return release === 2 ? { ...window, errors: Math.floor(window.requests * 0.2) } : window;
  };
  for (const [strategy, release, bad] of [
    ["rolling", "", false],
    ["canary", CANARY, false],
    ["canary", CANARY, true],
    ["blue-green", "keep_warm: 1m", false],
  ] as const) {
    const end = bad ? "rolled back" : "live";
    // A resumed rollout that waits forever (e.g. for traffic it will never get) fails the test instead of hanging it.
    it(`${strategy}${bad ? " failing its analysis" : ""}: every crash point resumes to the same end (${end})`, {
      timeout: 120_000,
    }, async () => {
      await deploy(strategy, release);
      if (bad) world.windows = failingCanary;
      const full = await deploy(strategy, release);
      const expectedSteps = await stepsOf(full.number);
      const commits = (await world.events()).filter((e) => e.release === full.number).length;
      assert.deepEqual(world.violations(), []);
      await world.close();
      for (let k = 1; k < commits; k++) {
        world = await RolloutWorld.create();
        plane = await world.controlPlane();
        await deploy(strategy, release);
        if (bad) world.windows = failingCanary;
        const created = await world.createRelease(plane, { strategy, release });
        let seen = 0;
        const crashed = new Promise<void>((resolve) => {
          plane.events.subscribe((event) => {
            if (event.release === created.number && ++seen === k) {
              plane.freeze();
              resolve();
            }
          });
        });
        plane.engine.run(created.rolloutId);
        await Promise.race([crashed, plane.engine.settled(created.rolloutId)]);
        const next = await world.controlPlane();
        await next.engine.resumeActive();
        await next.engine.settled(created.rolloutId);
        const at = `crash after commit ${k} of ${commits}`;
        const ended = await world.releases.get("production", "web", created.number);
        assert.equal(ended?.status, bad ? "rolled_back" : "live", `${at}: ${ended?.reason}`);
        assert.equal((await world.rollouts.get(created.rolloutId))?.state, bad ? "failed" : "completed", at);
        assert.deepEqual(await stepsOf(created.number), expectedSteps, at);
        const serving = bad ? ["production.web.r1.1", "production.web.r1.2"] : ["production.web.r2.1", "production.web.r2.2"];
        const traffic = next.traffic.get("production", "web");
        assert.deepEqual([traffic.routable, traffic.weights], [serving, null], at);
        assert.deepEqual(
          next.runtime.list().map((i) => i.id),
          serving,
          at,
        );
        assert.deepEqual(world.violations(), [], at);
        if (k < commits - 1) await world.close();
      }
    });
  }
});
