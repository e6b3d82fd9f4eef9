import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import pg from "pg";
import { openDatabase, type OpenedDatabase } from "../db/database.ts";
import { EventLog } from "../events/event-log.ts";
import { platformMigrations } from "../platform/migrations.ts";
import { RampartError } from "../shared/errors.ts";
import { DbQueryService } from "./db-query.service.ts";
import { dbQueryBodySchema } from "./db-query.types.ts";
import { startPostgres, type TestPostgres } from "./postgres.fixture.ts";

const clock = { now: () => Date.now() };

describe("DbQueryService against a real PostgreSQL", () => {
  let postgres: TestPostgres;
  let dir: string;
  let database: OpenedDatabase;
  let events: EventLog;
  let service: DbQueryService;
  const body = (sql: string, more: { limit?: number; timeout_ms?: number } = {}) => dbQueryBodySchema.parse({ sql, ...more });
  const dbEvents = async () =>
    (await database.db.selectFrom("events").selectAll().where("type", "=", "db.query").orderBy("id").execute()).map((e) => ({
      ...e,
      data: JSON.parse(e.data) as Record<string, unknown>,
    }));

  before(async () => {
    postgres = await startPostgres();
    const setup = new pg.Client({ connectionString: postgres.url });
    await setup.connect();
    await setup.query("CREATE TABLE orders (id int PRIMARY KEY, total numeric, placed timestamptz)");
    await setup.query("INSERT INTO orders SELECT g, g * 1.5, '2026-01-01T00:00:00Z' FROM generate_series(1, 50) g");
    await setup.end();
    dir = mkdtempSync(join(tmpdir(), "rampart-dbq-"));
    database = await openDatabase(dir, platformMigrations);
    events = new EventLog(database.db, clock);
    service = new DbQueryService({
      config: () => ({ databases: { main: { kind: "postgres", urlSecret: "DATABASE_URL" } } }),
      secrets: { currentValue: async () => postgres.url },
      events,
      clock,
    });
  });
  after(async () => {
    postgres?.stop();
    await database?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("reads rows in a read-only transaction and records actor, text, rows, duration and outcome", async () => {
    const result = await service.query(
      "production",
      "api",
      "main",
      body("SELECT id, total, placed FROM orders WHERE id <= 3 ORDER BY id"),
      "alice",
    );
    assert.deepEqual(result.columns, ["id", "total", "placed"]);
    assert.deepEqual(result.rows, [
      [1, "1.5", "2026-01-01T00:00:00.000Z"],
      [2, "3.0", "2026-01-01T00:00:00.000Z"],
      [3, "4.5", "2026-01-01T00:00:00.000Z"],
    ]);
    assert.equal(result.truncated, false);
    const [event] = await dbEvents();
    assert.equal(event?.actor, "alice");
    assert.equal(event?.env, "production");
    assert.equal(event?.data.sql, "SELECT id, total, placed FROM orders WHERE id <= 3 ORDER BY id");
    assert.equal(event?.data.rows, 3);
    assert.equal(event?.data.outcome, "ok");
    assert.equal(typeof event?.data.durationMs, "number");
  });

  it("stops at the row limit", async () => {
    const result = await service.query("production", "api", "main", body("SELECT id FROM orders ORDER BY id", { limit: 10 }), "alice");
    assert.equal(result.rows.length, 10);
    assert.equal(result.truncated, true);
  });

  it("a DELETE, an UPDATE and DDL are refused by PostgreSQL, recorded, and change nothing", async () => {
    for (const sql of [
      "DELETE FROM orders",
      "UPDATE orders SET total = 0",
      "DROP TABLE orders",
      "WITH d AS (DELETE FROM orders RETURNING id) SELECT count(*) FROM d",
    ]) {
      await assert.rejects(
        service.query("production", "api", "main", body(sql), "mallory"),
        (error: unknown) =>
          error instanceof RampartError &&
          error.code === "db_query_failed" &&
          /read-only transaction/.test(error.message) &&
          /only reads/.test(error.hint),
      );
    }
    const count = await service.query("production", "api", "main", body("SELECT count(*)::int FROM orders"), "alice");
    assert.deepEqual(count.rows, [[50]]);
    const refused = (await dbEvents()).filter((e) => e.data.outcome === "refused");
    assert.equal(refused.length, 4);
    assert.ok(refused.every((e) => e.actor === "mallory"));
  });

  it("cancels a query at its statement timeout", async () => {
    await assert.rejects(
      service.query("production", "api", "main", body("SELECT pg_sleep(5)", { timeout_ms: 200 }), "alice"),
      (error: unknown) => error instanceof RampartError && /statement timeout/.test(error.message),
    );
  });

  it("an unknown database names the declared ones", async () => {
    await assert.rejects(service.query("production", "api", "replica", body("SELECT 1"), "alice"), /database "replica" of api not found/);
  });
});
