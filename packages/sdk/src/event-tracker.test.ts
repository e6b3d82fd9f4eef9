import assert from "node:assert/strict";
import { test } from "node:test";
import { EventTracker } from "./event-tracker.ts";
import { userHash } from "./user-hash.ts";

test("an exposure is reported again on a later day (the user came back), never twice the same day", () => {
  let now = 5 * 86_400_000 + 1000;
  const t = new EventTracker(() => now);
  t.expose("reco", "on", { userId: "bob" });
  t.expose("reco", "on", { userId: "bob" });
  now += 3600_000;
  t.expose("reco", "on", { userId: "bob" });
  now += 86_400_000;
  t.expose("reco", "on", { userId: "bob" });
  t.expose("reco", "on", { userId: "bob" });
  assert.deepEqual(
    t.take()?.exposures.map((e) => e.atMs),
    [5 * 86_400_000 + 1000, 6 * 86_400_000 + 3601_000],
  );
});

test("exposures are reported once per user and flag, hashed; events carry value; queues stay bounded", () => {
  let now = 1000;
  const t = new EventTracker(() => now, { rememberedExposures: 3, maxQueued: 4 });
  t.expose("reco", "on", { userId: "alice@example.com" });
  t.expose("reco", "on", { userId: "alice@example.com" });
  t.expose("reco", "on", { plan: "pro" }); // no user key: nothing to attribute
  now = 2000;
  assert.equal(t.track("purchase", { targetingKey: "alice@example.com" }, 42.5), true);
  assert.equal(t.track("purchase", { plan: "pro" }), false);
  const batch = t.take();
  assert.deepEqual(batch, {
    exposures: [{ flag: "reco", variation: "on", user: userHash("alice@example.com"), atMs: 1000 }],
    events: [{ key: "purchase", user: userHash("alice@example.com"), atMs: 2000, value: 42.5 }],
  });
  assert.ok(!JSON.stringify(batch).includes("alice"), "no raw key leaves the tracker");
  assert.equal(t.take(), undefined);
  for (let i = 0; i < 10; i++) t.track("click", { userId: `u${i}` });
  assert.equal(t.take()?.events.length, 4);
  assert.equal(t.dropped, 7);
});

test("an unsent batch is put back in front, and the oldest beyond the bound are dropped", () => {
  const t = new EventTracker(() => 0, { maxQueued: 3 });
  t.track("a", { userId: "1" });
  t.track("b", { userId: "2" });
  const batch = t.take();
  assert.ok(batch);
  t.track("c", { userId: "3" });
  t.track("d", { userId: "4" });
  t.restore(batch);
  assert.deepEqual(
    t.take()?.events.map((e) => e.key),
    ["b", "c", "d"],
  );
});
