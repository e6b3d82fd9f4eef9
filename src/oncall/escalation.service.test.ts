import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import { alertFixture } from "../alerts/notify/notify.fixture.ts";
import { RampartError } from "../shared/errors.ts";
import { oncallWorld } from "./oncall.fixture.ts";

const manifest = {
  people: {
    alice: { webhook: "https://hooks.example.com/alice" },
    bob: { webhook: "https://hooks.example.com/bob" },
    carol: { email: "carol@example.com" },
  },
  schedules: {
    primary: { time_zone: "Europe/Berlin", rotation: { every: "week", handoff: "Mon 09:00", people: ["alice", "bob"] } },
  },
  escalation: {
    default: [
      { notify: "schedule:primary", wait: "5m" },
      { notify: "user:carol", wait: "10m" },
    ],
    repeat: 1,
  },
};

const MIN = 60_000;

describe("escalation", () => {
  let world: Awaited<ReturnType<typeof oncallWorld>> | undefined;
  afterEach(async () => {
    await world?.close();
    world = undefined;
  });

  async function firing(labels: Record<string, string> = {}) {
    world = await oncallWorld(manifest);
    const alert = alertFixture(
      { alertname: "HighErrorRatio", severity: "critical", env: "production", app: "api", ...labels },
      { at: world.clock.now() },
    );
    await world.oncall.escalations.observe([alert]);
    return { w: world, alert };
  }

  const advance = async (w: NonNullable<typeof world>, ms: number) => {
    w.clock.advance(ms);
    await w.oncall.escalations.tick();
  };

  it("pages the person on call, escalates after the wait, repeats the policy, then gives up", async () => {
    const { w, alert } = await firing();
    // 28 March 2026 is bob's week.
    assert.deepEqual(
      w.pager.pages.map((p) => p.user),
      ["bob"],
    );
    assert.match(w.pager.pages[0]?.text ?? "", new RegExp(`rampart alerts ack ${alert.fingerprint}`));
    await advance(w, 5 * MIN - 1);
    assert.equal(w.pager.pages.length, 1, "not before the wait is over");
    await advance(w, 1);
    assert.deepEqual(
      w.pager.pages.map((p) => p.user),
      ["bob", "carol"],
    );
    await advance(w, 10 * MIN);
    assert.deepEqual(
      w.pager.pages.map((p) => p.user),
      ["bob", "carol", "bob"],
      "repeat: the policy starts over",
    );
    await advance(w, 5 * MIN);
    await advance(w, 10 * MIN);
    assert.deepEqual(
      w.pager.pages.map((p) => p.user),
      ["bob", "carol", "bob", "carol"],
    );
    const [ended] = await w.oncall.escalations.list({ all: true });
    assert.equal(ended?.status, "exhausted");
    await advance(w, 60 * MIN);
    assert.equal(w.pager.pages.length, 4, "nothing after the last round");
    const types = (await w.events.query({ type: "oncall.", limit: 100 })).map((e) => e.type);
    assert.deepEqual(types, [
      "oncall.paged",
      "oncall.escalated",
      "oncall.paged",
      "oncall.escalated",
      "oncall.paged",
      "oncall.escalated",
      "oncall.paged",
      "oncall.ended",
    ]);
    const escalated = (await w.events.query({ type: "oncall.escalated", limit: 1 }))[0];
    assert.equal(escalated?.app, "api");
  });

  it("stops paging when someone acknowledges, by fingerprint prefix or alert name, and does not start again while it fires", async () => {
    const { w, alert } = await firing();
    const acked = await w.oncall.escalations.acknowledge(alert.fingerprint.slice(0, 8), "bob");
    assert.equal(acked[0]?.status, "acknowledged");
    await advance(w, 60 * MIN);
    await w.oncall.escalations.observe([alert]);
    assert.equal(w.pager.pages.length, 1);
    const ack = (await w.events.query({ type: "alert.acknowledged", limit: 10 }))[0];
    assert.equal(ack?.actor, "bob");
    assert.equal(ack?.data.fingerprint, alert.fingerprint);
    // Resolving by name ends it; the alert firing anew later starts a new escalation.
    const resolved = await w.oncall.escalations.acknowledge("HighErrorRatio", "alice", { resolve: true });
    assert.equal(resolved[0]?.status, "resolved");
    w.clock.advance(MIN);
    await w.oncall.escalations.observe([{ ...alert, firedAt: w.clock.now(), activeAt: w.clock.now() }]);
    assert.equal(w.pager.pages.length, 2);
  });

  it("ends the escalation when the alert resolves, and ignores warnings", async () => {
    const { w, alert } = await firing();
    await w.oncall.escalations.observe([alertFixture({ alertname: "SlowP99", severity: "warning", app: "api" })]);
    await w.oncall.escalations.observe([{ ...alert, state: "resolved", resolvedAt: w.clock.now() }]);
    await advance(w, 60 * MIN);
    assert.equal(w.pager.pages.length, 1);
    assert.deepEqual(
      (await w.oncall.escalations.list({ all: true })).map((e) => [e.alertname, e.status]),
      [["HighErrorRatio", "resolved"]],
    );
  });

  it("pages the override, keeps escalating when a page fails, and says what to do for an unknown reference", async () => {
    world = await oncallWorld(manifest);
    const w = world;
    await w.oncall.service.createOverride(
      { schedule: "primary", user: "alice", from: w.clock.now() - MIN, to: w.clock.now() + 60 * MIN },
      "bob",
    );
    w.pager.failing.add("alice");
    await w.oncall.escalations.observe([alertFixture({ alertname: "CrashLoop", severity: "critical", app: "web" }, { at: w.clock.now() })]);
    await advance(w, 5 * MIN);
    assert.deepEqual(
      w.pager.pages.map((p) => p.user),
      ["alice", "carol"],
    );
    await assert.rejects(w.oncall.escalations.acknowledge("nothing-like-this", "bob"), (error: unknown) => {
      assert.ok(error instanceof RampartError);
      assert.equal(error.status, 404);
      assert.match(error.hint, /rampart oncall escalations/);
      return true;
    });
  });
});
