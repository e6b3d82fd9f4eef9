import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { type OpenedDatabase, openDatabase } from "../db/database.ts";
import { EventLog } from "../events/event-log.ts";
import { platformMigrations } from "../platform/migrations.ts";
import { RampartError } from "../shared/errors.ts";
import { FakeClock } from "../shared/fake-clock.ts";
import { type FakePlatformOptions, fakeDrillPlatform } from "./rollback-drill.fixture.ts";
import { RollbackDrillService } from "./rollback-drill.service.ts";

const root = mkdtempSync(join(tmpdir(), "rampart-drill-service-"));
const opened: OpenedDatabase[] = [];
after(async () => {
  for (const d of opened) await d.close();
  rmSync(root, { recursive: true, force: true });
});

async function setup(name: string, options: Omit<FakePlatformOptions, "feed"> = { switchMs: 500 }, live: number | null = 1) {
  const database = await openDatabase(join(root, name), platformMigrations);
  opened.push(database);
  const clock = new FakeClock();
  const events = new EventLog(database.db, clock);
  const make = () => {
    const service: RollbackDrillService = new RollbackDrillService({
      db: database.db,
      events,
      clock,
      isProtected: (env) => env === "production",
      assertApp: () => undefined,
      assertIdle: async () => undefined,
      liveRelease: async () => live,
      target: async () => "http://127.0.0.1:8081/",
      runner: fakeDrillPlatform(clock, { ...options, feed: (stats) => service.acceptEdgeStats(stats) }),
    });
    return service;
  };
  const drillEvents = async () => (await events.query({ type: "drill.", limit: 100 })).map((e) => `${e.type} ${e.actor}`);
  return { make, clock, drillEvents };
}

const code = (c: string) => (error: unknown) => error instanceof RampartError && error.code === c;

describe("rollback drills stored, shown and read by readiness (real database, fake platform)", () => {
  it("stores a drill with its start and end events; latest() says when and whether it passed", async () => {
    const { make, drillEvents } = await setup("passed", { switchMs: 500 });
    const service = make();
    assert.equal(await service.latest("staging", "web"), null);
    const started = await service.start("staging", "web", "alice", { rate: 20, trigger: "manual", allowProduction: false });
    assert.equal(started.status, "running");
    await service.idle();
    const [drill] = await service.history("staging", "web");
    assert.equal(drill?.id, started.id);
    // The fake loses 1 request of 200: a drill with a failed request fails, and says why.
    assert.equal(drill?.status, "failed");
    assert.equal(drill?.error, "1 of 200 requests failed during the drill");
    assert.deepEqual(drill?.result?.servedAfterSwitch, { "3": 40 });
    assert.deepEqual(await service.latest("staging", "web"), { at: drill?.finishedAt, ok: false });
    assert.deepEqual(await drillEvents(), ["drill.rollback_started alice", "drill.rollback_finished alice"]);
  });

  it("refuses a protected environment without allowProduction, nothing live, and a second drill at once", async () => {
    const { make } = await setup("refusals", { switchMs: 500, deployHangs: true });
    const service = make();
    await assert.rejects(
      service.start("production", "web", "alice", { rate: 20, trigger: "manual", allowProduction: false }),
      code("drill_refused"),
    );
    // Two at once: one starts, the other is refused.
    const both = await Promise.allSettled(
      ["alice", "bob"].map((who) => service.start("staging", "web", who, { rate: 20, trigger: "manual", allowProduction: false })),
    );
    assert.equal(both.filter((r) => r.status === "fulfilled").length, 1);
    assert.ok(both.some((r) => r.status === "rejected" && code("drill_running")(r.reason)));
    await assert.rejects(
      service.start("staging", "web", "bob", { rate: 20, trigger: "manual", allowProduction: false }),
      code("drill_running"),
    );
    await service.stop();
    const [stopped] = await service.history("staging", "web");
    assert.equal(stopped?.status, "failed");
    assert.equal(stopped?.error, "the control plane stopped during the drill");
    const nothing = await setup("nothing-live", { switchMs: 500 }, null);
    await assert.rejects(
      nothing.make().start("staging", "web", "alice", { rate: 20, trigger: "manual", allowProduction: false }),
      code("nothing_to_drill"),
    );
  });

  it("records a drill a previous control plane left running as failed, never resumed", async () => {
    const { make, drillEvents } = await setup("interrupted", { switchMs: 500, deployHangs: true });
    const gone = make();
    const started = await gone.start("staging", "web", "alice", { rate: 20, trigger: "schedule", allowProduction: false });
    const next = make();
    await next.failInterrupted();
    const drill = await next.get(started.id);
    assert.equal(drill.status, "failed");
    assert.equal(drill.error, "interrupted: the control plane stopped during the drill");
    assert.equal(drill.trigger, "schedule");
    assert.deepEqual(await drillEvents(), ["drill.rollback_started alice", "drill.rollback_finished alice"]);
    await gone.stop();
  });
});
