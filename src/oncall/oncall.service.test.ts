import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { RampartError } from "../shared/errors.ts";
import { oncallWorld } from "./oncall.fixture.ts";
import { oncallFileSchema } from "./oncall.schema.ts";

const manifest = {
  people: { alice: { email: "alice@example.com" }, bob: { webhook: "https://hooks.example.com/bob" } },
  schedules: {
    primary: {
      time_zone: "Europe/Berlin",
      rotation: { every: "week", handoff: "Mon 09:00", people: ["alice", "bob"] },
      overrides: [{ user: "dave", from: "2026-04-01T00:00:00+02:00", to: "2026-04-02T00:00:00+02:00" }],
    },
  },
  escalation: { default: [{ notify: "schedule:primary", wait: "5m" }], repeat: 1 },
};

describe("on-call schedules and overrides", () => {
  let world: Awaited<ReturnType<typeof oncallWorld>>;
  before(async () => {
    world = await oncallWorld(manifest);
  });
  after(() => world.close());

  it("answers who is on call now and at a time, with the shift and the channels", async () => {
    const now = await world.oncall.service.who();
    assert.equal(now.schedules.length, 1);
    const primary = now.schedules[0];
    assert.equal(primary?.schedule, "primary");
    // Week of 23 March 2026 is week 11 from 5 January: bob.
    assert.equal(primary?.user, "bob");
    assert.deepEqual(primary?.contact, { webhook: "https://hooks.example.com/bob" });
    assert.equal(new Date(primary?.to ?? 0).toISOString(), "2026-03-30T07:00:00.000Z");
    const next = await world.oncall.service.who(Date.parse("2026-03-30T07:00:00Z"));
    assert.equal(next.schedules[0]?.user, "alice");
    const manifestOverride = await world.oncall.service.who(Date.parse("2026-04-01T12:00:00+02:00"));
    assert.equal(manifestOverride.schedules[0]?.user, "dave");
    assert.equal(manifestOverride.schedules[0]?.override, true);
  });

  it("creates an override over the API with its event, and removes it with another", async () => {
    const created = await world.oncall.service.createOverride(
      {
        schedule: "primary",
        user: "carol",
        from: Date.parse("2026-03-28T18:00:00+01:00"),
        to: Date.parse("2026-03-30T09:00:00+02:00"),
        reason: "bob's flight",
      },
      "alice",
    );
    const during = await world.oncall.service.who(Date.parse("2026-03-29T12:00:00Z"));
    assert.equal(during.schedules[0]?.user, "carol");
    assert.equal(during.schedules[0]?.rotation, "bob");
    const [event] = await world.events.query({ type: "oncall.override_created", limit: 100 });
    assert.equal(event?.actor, "alice");
    assert.match(event?.message ?? "", /carol on call for primary .*bob's flight/);
    await world.oncall.service.removeOverride(created.id, "bob");
    assert.equal((await world.oncall.service.who(Date.parse("2026-03-29T12:00:00Z"))).schedules[0]?.user, "bob");
    assert.equal((await world.events.query({ type: "oncall.override_removed", limit: 100 }))[0]?.actor, "bob");
  });

  it("refuses an override of an undeclared schedule, an inverted one and one in the past, naming the fix", async () => {
    const at = Date.parse("2026-03-29T00:00:00Z");
    const attempts = [
      { schedule: "secondary", user: "carol", from: at, to: at + 3_600_000 },
      { schedule: "primary", user: "carol", from: at + 3_600_000, to: at },
      { schedule: "primary", user: "carol", from: at - 7_200_000 * 24, to: at - 3_600_000 * 24 },
    ];
    for (const input of attempts) {
      await assert.rejects(world.oncall.service.createOverride(input, "alice"), (error: unknown) => {
        assert.ok(error instanceof RampartError);
        assert.equal(error.status, 400);
        assert.match(error.hint, /rampart oncall/);
        return true;
      });
    }
  });

  it("rejects manifests with unknown zones, schedules and targets, naming the key", () => {
    const bad = oncallFileSchema.safeParse({
      schedules: { primary: { time_zone: "Mars/Olympus", rotation: { every: "week", handoff: "Mon 09:00", people: ["a"] } } },
      escalation: {
        default: [
          { notify: "schedule:secondary", wait: "5m" },
          { notify: "pager:x", wait: "1m" },
        ],
      },
    });
    assert.equal(bad.success, false);
    const messages = bad.error?.issues.map((i) => `${i.path.join(".")}: ${i.message}`) ?? [];
    assert.ok(
      messages.some((m) => /time_zone: "?Mars\/Olympus"? is not a time zone/.test(m)),
      messages.join("\n"),
    );
    assert.ok(
      messages.some((m) => /escalation.default.1.notify: .*schedule:NAME or user:NAME/.test(m)),
      messages.join("\n"),
    );
  });
});
