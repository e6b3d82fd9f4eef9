import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, it } from "node:test";
import { EventLog } from "../events/event-log.ts";
import { eventlessTables, platformMigrations } from "../platform/migrations.ts";
import { openDatabase, type OpenedDatabase } from "./database.ts";

let dir: string;
let opened: OpenedDatabase;
let events: EventLog;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "rampart-audit-"));
  opened = await openDatabase(dir, platformMigrations, { audit: { eventless: eventlessTables } });
  events = new EventLog(opened.db, { now: () => Date.now() });
});
after(async () => {
  await opened.close();
  rmSync(dir, { recursive: true, force: true });
});

const violations = () => opened.audit?.violations.splice(0) ?? [];

it("a state write committed with its event passes", async () => {
  await events.transact(async (trx, emit) => {
    await trx.insertInto("kv").values({ key: "a", value: "1" }).execute();
    await emit({ type: "release.created", message: "test" });
  });
  assert.deepEqual(violations(), []);
});

it("a state write committed without an event in the same transaction fails, naming the table", async () => {
  await events.transact(async (trx) => {
    await trx.updateTable("kv").set({ value: "2" }).where("key", "=", "a").execute();
  });
  await events.append({ type: "release.created", message: "a later event does not excuse it" });
  assert.deepEqual(
    violations().map((v) => v.writes),
    [["kv:update"]],
  );
});

it("a state write outside any transaction (autocommit) fails too", async () => {
  await opened.db.deleteFrom("kv").where("key", "=", "a").execute();
  assert.deepEqual(
    violations().map((v) => v.writes),
    [["kv:delete"]],
  );
});

it("a rolled-back transaction and writes to eventless tables (measurements) are not violations", async () => {
  await assert.rejects(
    events.transact(async (trx) => {
      await trx.insertInto("kv").values({ key: "b", value: "1" }).execute();
      throw new Error("rolled back");
    }),
  );
  await opened.db
    .insertInto("request_stats")
    .values({ at: 0, env: "e", app: "a", release: 1, instance: "i", status: 200, count: 1, sum_ms: 1, buckets: "[]" })
    .execute();
  assert.deepEqual(violations(), []);
});

it("every table but the event log and the listed exemptions is audited", async () => {
  const audited = opened.audit?.install(eventlessTables) ?? [];
  for (const table of ["instances", "releases", "rollouts", "traffic", "kv", "artifacts", "flags", "flag_env_states", "flag_rollouts"]) {
    assert.ok(audited.includes(table), `${table} is audited`);
  }
  assert.ok(!audited.includes("events"));
  assert.ok(!audited.includes("request_stats"));
});
