import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { openDatabase, type OpenedDatabase } from "../db/database.ts";
import { platformMigrations } from "../platform/migrations.ts";
import { EventLog } from "./event-log.ts";
import type { RampartEvent } from "./event.types.ts";

describe("EventLog", () => {
  let dir: string;
  let opened: OpenedDatabase;
  let log: EventLog;
  let now = 1_000;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "rampart-events-"));
    opened = await openDatabase(dir, platformMigrations);
    log = new EventLog(opened.db, { now: () => now });
  });
  after(async () => {
    await opened.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("commits a state change and its events together, and publishes only after the commit", async () => {
    const heard: RampartEvent[] = [];
    const unsubscribe = log.subscribe((e) => heard.push(e));
    await log.transact(async (trx, emit) => {
      await trx.insertInto("kv").values({ key: "k", value: "1" }).execute();
      await emit({ type: "release.created", env: "production", app: "web", release: 1, message: "r1", data: { artifact: "sha256-x" } });
      assert.equal(heard.length, 0, "not published before commit");
    });
    assert.equal(heard.length, 1);
    assert.deepEqual(heard[0]?.data, { artifact: "sha256-x" });
    assert.equal(heard[0]?.actor, "rampart");
    unsubscribe();
  });

  it("a failed transaction leaves neither the state change nor its events", async () => {
    const heard: RampartEvent[] = [];
    log.subscribe((e) => heard.push(e));
    await assert.rejects(
      log.transact(async (trx, emit) => {
        await trx.insertInto("kv").values({ key: "doomed", value: "1" }).execute();
        await emit({ type: "release.live", message: "never" });
        throw new Error("boom");
      }),
      /boom/,
    );
    assert.equal(heard.length, 0);
    assert.equal(await opened.db.selectFrom("kv").selectAll().where("key", "=", "doomed").executeTakeFirst(), undefined);
    assert.equal((await log.query({ type: "release.live", limit: 10 })).length, 0);
  });

  it("queries by time, id, app and type prefix, newest `limit` in ascending order", async () => {
    for (let i = 0; i < 5; i++) {
      now = 2_000 + i;
      await log.append({
        type: i % 2 ? "instance.started" : "instance.stopped",
        env: "staging",
        app: i < 3 ? "web" : "api",
        message: `e${i}`,
      });
    }
    const web = await log.query({ app: "web", type: "instance.", limit: 100 });
    assert.deepEqual(
      web.map((e) => e.message),
      ["e0", "e1", "e2"],
    );
    const lastTwo = await log.query({ since: 2_000, limit: 2 });
    assert.deepEqual(
      lastTwo.map((e) => e.message),
      ["e3", "e4"],
    );
    const afterFirst = await log.query({ afterId: web[0]?.id ?? 0, type: "instance.started", limit: 100 });
    assert.deepEqual(
      afterFirst.map((e) => e.message),
      ["e1", "e3"],
    );
  });
});
