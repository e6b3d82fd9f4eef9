import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { rotationSchema } from "./oncall.schema.ts";
import { onCallAt, shiftAt } from "./rotation.ts";
import { instantOf, offsetAt, wallTimeAt, dayOf } from "./zoned-time.ts";

const weekly = rotationSchema.parse({ every: "week", handoff: "Mon 09:00", people: ["alice", "bob"] });
const daily = rotationSchema.parse({ every: "day", handoff: "02:30", people: ["alice", "bob", "carol"] });
const iso = (at: number) => new Date(at).toISOString();

describe("zoned time", () => {
  it("knows Berlin's and New York's offsets on both sides of the 2026 changes", () => {
    assert.equal(offsetAt("Europe/Berlin", Date.parse("2026-03-29T00:59:00Z")), 3_600_000);
    assert.equal(offsetAt("Europe/Berlin", Date.parse("2026-03-29T01:00:00Z")), 7_200_000);
    assert.equal(offsetAt("America/New_York", Date.parse("2026-03-08T06:59:00Z")), -5 * 3_600_000);
    assert.equal(offsetAt("America/New_York", Date.parse("2026-03-08T07:00:00Z")), -4 * 3_600_000);
    assert.equal(offsetAt("America/New_York", Date.parse("2026-11-01T06:00:00Z")), -5 * 3_600_000);
  });

  it("moves a wall time in the spring gap forward and takes the earlier of a repeated autumn time", () => {
    // 02:30 does not exist in Berlin on 29 March 2026: it is 03:30 CEST (01:30Z).
    assert.equal(iso(instantOf("Europe/Berlin", { day: dayOf("2026-03-29"), minute: 150 })), "2026-03-29T01:30:00.000Z");
    // 02:30 happens twice on 25 October 2026: the first, still CEST (00:30Z).
    assert.equal(iso(instantOf("Europe/Berlin", { day: dayOf("2026-10-25"), minute: 150 })), "2026-10-25T00:30:00.000Z");
    assert.equal(iso(instantOf("America/New_York", { day: dayOf("2026-11-01"), minute: 90 })), "2026-11-01T05:30:00.000Z");
    assert.deepEqual(wallTimeAt("Europe/Berlin", Date.parse("2026-07-01T07:00:00Z")), { day: dayOf("2026-07-01"), minute: 540 });
  });
});

describe("rotation", () => {
  it("hands off weekly at 09:00 Berlin time across the March change (a 167-hour shift)", () => {
    const before = shiftAt(weekly, "Europe/Berlin", Date.parse("2026-03-28T12:00:00Z"));
    assert.equal(iso(before.from), "2026-03-23T08:00:00.000Z"); // 09:00 CET
    assert.equal(iso(before.to), "2026-03-30T07:00:00.000Z"); // 09:00 CEST
    assert.equal(before.to - before.from, 167 * 3_600_000);
    const after = shiftAt(weekly, "Europe/Berlin", Date.parse("2026-03-30T07:00:00Z"));
    assert.notEqual(after.user, before.user);
    assert.equal(iso(after.from), "2026-03-30T07:00:00.000Z");
    // One minute before the hand-off the old shift still holds.
    assert.equal(shiftAt(weekly, "Europe/Berlin", Date.parse("2026-03-30T06:59:00Z")).user, before.user);
  });

  it("hands off weekly at 09:00 Berlin time across the October change (a 169-hour shift)", () => {
    const s = shiftAt(weekly, "Europe/Berlin", Date.parse("2026-10-25T12:00:00Z"));
    assert.equal(iso(s.from), "2026-10-19T07:00:00.000Z");
    assert.equal(iso(s.to), "2026-10-26T08:00:00.000Z");
    assert.equal(s.to - s.from, 169 * 3_600_000);
  });

  it("alternates people week by week from the start date", () => {
    // 2026-01-05 is a Monday: alice's first week.
    assert.equal(shiftAt(weekly, "Europe/Berlin", Date.parse("2026-01-05T08:00:00Z")).user, "alice");
    assert.equal(shiftAt(weekly, "Europe/Berlin", Date.parse("2026-01-05T07:59:00Z")).user, "bob");
    assert.equal(shiftAt(weekly, "Europe/Berlin", Date.parse("2026-01-12T08:00:00Z")).user, "bob");
    assert.equal(shiftAt(weekly, "Europe/Berlin", Date.parse("2026-12-07T08:00:00Z")).user, "alice"); // 48 weeks later
  });

  it("hands off daily in New York across both 2026 changes, the gap included", () => {
    // 8 March: 02:30 does not exist, the hand-off happens at 03:30 EDT (07:30Z).
    const spring = shiftAt(daily, "America/New_York", Date.parse("2026-03-08T12:00:00Z"));
    assert.equal(iso(spring.from), "2026-03-08T07:30:00.000Z");
    assert.equal(iso(spring.to), "2026-03-09T06:30:00.000Z");
    const previous = shiftAt(daily, "America/New_York", spring.from - 1);
    assert.equal(iso(previous.from), "2026-03-07T07:30:00.000Z");
    assert.notEqual(previous.user, spring.user);
    // 1 November: 02:30 is not repeated (the repeat is 01:00–02:00); the day is 25 hours long.
    const autumn = shiftAt(daily, "America/New_York", Date.parse("2026-11-01T12:00:00Z"));
    assert.equal(iso(autumn.from), "2026-11-01T07:30:00.000Z");
    const prior = shiftAt(daily, "America/New_York", Date.parse("2026-11-01T07:29:00Z"));
    assert.equal(prior.to - prior.from, 25 * 3_600_000);
  });

  it("lets an override stand in, the later of two overlapping ones winning", () => {
    const at = Date.parse("2026-03-29T10:00:00Z");
    const overrides = [
      { user: "carol", from: Date.parse("2026-03-28T17:00:00Z"), to: Date.parse("2026-03-30T07:00:00Z") },
      { user: "dave", from: Date.parse("2026-03-29T09:00:00Z"), to: Date.parse("2026-03-29T11:00:00Z") },
    ];
    const who = onCallAt(weekly, "Europe/Berlin", overrides, at);
    assert.equal(who.user, "dave");
    assert.equal(who.override, true);
    assert.equal(who.rotation, shiftAt(weekly, "Europe/Berlin", at).user);
    assert.equal(onCallAt(weekly, "Europe/Berlin", overrides, Date.parse("2026-03-29T12:00:00Z")).user, "carol");
    assert.equal(onCallAt(weekly, "Europe/Berlin", overrides, Date.parse("2026-03-30T07:00:00Z")).override, false);
  });

  it("rejects a weekly hand-off without a weekday and a bad time", () => {
    assert.equal(rotationSchema.safeParse({ every: "week", handoff: "09:00", people: ["a"] }).success, false);
    assert.equal(rotationSchema.safeParse({ every: "day", handoff: "25:00", people: ["a"] }).success, false);
  });
});
