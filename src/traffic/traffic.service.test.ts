import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { openDatabase, type OpenedDatabase } from "../db/database.ts";
import { EventLog } from "../events/event-log.ts";
import { eventlessTables, platformMigrations } from "../platform/migrations.ts";
import { FakeClock } from "../shared/fake-clock.ts";
import { FakeTrafficPusher } from "./traffic.fake.ts";
import { TrafficService } from "./traffic.service.ts";
import { TrafficStore } from "./traffic.store.ts";

let dir: string;
let opened: OpenedDatabase;
let edge: FakeTrafficPusher;
const clock = new FakeClock();

const service = (database: OpenedDatabase) =>
  new TrafficService({ store: new TrafficStore(database.db), events: new EventLog(database.db, clock), clock, pusher: edge });

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "rampart-traffic-"));
  edge = new FakeTrafficPusher();
});
afterEach(async () => {
  await opened.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("the traffic service", () => {
  it("one set: the new state and a traffic.changed event with before and after in one transaction, then a push", async () => {
    opened = await openDatabase(dir, platformMigrations, { audit: { eventless: eventlessTables } });
    const traffic = service(opened);
    await traffic.load();
    await traffic.set("production", "web", { add: ["b", "a"] }, { reason: "first release", release: 1 });
    await traffic.set("production", "web", { add: ["c"], remove: ["a"], weights: { 1: 90, 2: 10 } }, { reason: "canary 10%", release: 2 });
    assert.deepEqual(traffic.get("production", "web").routable, ["b", "c"]);
    assert.equal(edge.pushes, 2);
    const events = await new EventLog(opened.db, clock).query({ type: "traffic.changed", limit: 10 });
    assert.deepEqual(events.at(-1)?.data, {
      before: { routable: ["a", "b"], weights: null },
      after: { routable: ["b", "c"], weights: { 1: 90, 2: 10 } },
      reason: "canary 10%",
    });
    // Persisted: a new control plane reads the same state.
    const again = service(opened);
    await again.load();
    assert.deepEqual(again.get("production", "web"), traffic.get("production", "web"));
    assert.ok(again.isRoutable({ env: "production", app: "web", id: "c" }));
    assert.deepEqual(opened.audit?.violations, []);
  });

  it("a set that changes nothing writes nothing (no event) but still pushes the table", async () => {
    opened = await openDatabase(dir, platformMigrations);
    const traffic = service(opened);
    await traffic.set("production", "web", { add: ["a"] }, { reason: "in" });
    await traffic.set("production", "web", { add: ["a"], remove: ["zz"] }, { reason: "nothing new" });
    assert.equal((await new EventLog(opened.db, clock).query({ type: "traffic.changed", limit: 10 })).length, 1);
    assert.equal(edge.pushes, 2);
  });

  it("an existing data dir migrates unchanged: routable instances and an active canary's % become the traffic state", async () => {
    // A data dir as the previous release of Rampart left it: migrations up to 0004, routing kept on the instances.
    const old = await openDatabase(dir, Object.fromEntries(Object.entries(platformMigrations).filter(([name]) => name < "0005_traffic")));
    const instance = (id: string, release: number, routable: number, status = "healthy") => ({
      id,
      env: "production",
      app: "web",
      release,
      slot: 1,
      port: 1,
      status,
      routable,
      restarts: 0,
      started_at: 0,
      updated_at: 0,
      log_path: "",
      state_dir: "",
    });
    await old.db
      .insertInto("instances")
      .values([instance("r1.1", 1, 1), instance("r2.1", 2, 1), instance("r2.2", 2, 0), instance("r0.1", 0, 1, "stopped")])
      .execute();
    const rollout = { env: "production", app: "web", strategy: "canary", step: 1, started_at: 0, updated_at: 0 };
    await old.db
      .insertInto("rollouts")
      .values([
        { ...rollout, release: 2, from_release: 1, state: "shifting", data: JSON.stringify({ canaryPercent: 25 }) },
        { ...rollout, release: 1, from_release: null, state: "completed", data: JSON.stringify({ canaryPercent: 5 }) },
      ])
      .execute();
    await old.close();

    opened = await openDatabase(dir, platformMigrations);
    const traffic = service(opened);
    await traffic.load();
    assert.deepEqual(traffic.get("production", "web").routable, ["r1.1", "r2.1"]);
    assert.deepEqual(traffic.get("production", "web").weights, { 1: 75, 2: 25 });
  });
});
