import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { FastifyInstance } from "fastify";
import { FakeAuthenticator } from "../access/fake-authenticator.ts";
import { buildApiServer } from "../api/api-server.ts";
import { openDatabase, type OpenedDatabase } from "../db/database.ts";
import { platformMigrations } from "../platform/migrations.ts";
import { EventLog } from "./event-log.ts";
import { eventRoutes } from "./event.routes.ts";
import type { RampartEvent } from "./event.types.ts";

describe("GET /api/v1/events for someone who may read only some environments", () => {
  let dir: string;
  let opened: OpenedDatabase;
  let log: EventLog;
  let app: FastifyInstance;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "rampart-event-routes-"));
    opened = await openDatabase(dir, platformMigrations);
    log = new EventLog(opened.db, { now: () => 1_800_000_000_000 });
    const fake = new FakeAuthenticator([
      ["staging-dev", { kind: "user", name: "dev", grants: [{ role: "developer", env: "staging" }], timed: [], apps: null }],
    ]);
    app = buildApiServer({
      routes: eventRoutes(log),
      streams: [],
      authenticator: fake,
      protection: { isProtected: (env) => env === "production" },
      clock: { now: () => 1_800_000_000_000 },
      version: "test",
      dataDir: dir,
    });
    // Three staging events, then a busy production: the newest page of the log holds none of the developer's.
    for (let i = 1; i <= 3; i++) await log.append({ type: "release.created", env: "staging", app: "web", message: `staging ${i}` });
    for (let i = 1; i <= 20; i++) await log.append({ type: "release.created", env: "production", app: "web", message: `prod ${i}` });
  });
  after(async () => {
    await app.close();
    await opened.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const list = async (query: string) => {
    const answer = await app.inject({ method: "GET", url: `/api/v1/events?${query}`, headers: { authorization: "Bearer staging-dev" } });
    assert.equal(answer.statusCode, 200, answer.body);
    return (answer.json() as { events: RampartEvent[] }).events;
  };

  it("reads back past other environments' events until it has `limit` of theirs, oldest first", async () => {
    const events = await list("limit=3");
    assert.deepEqual(
      events.map((e) => e.message),
      ["staging 1", "staging 2", "staging 3"],
    );
    const older = await list(`limit=3&beforeId=${events[1]?.id}`);
    assert.deepEqual(
      older.map((e) => e.message),
      ["staging 1"],
      "beforeId pages further back",
    );
  });

  it("stops after ten pages of `limit`, answering with fewer rather than scanning the whole log", async () => {
    // Pages of 1: ten of them cover the newest 10 production events only; the staging ones are older.
    assert.deepEqual(await list("limit=1"), []);
    assert.deepEqual(
      (await list("limit=2")).map((e) => e.message),
      [],
      "ten pages of 2 end at the oldest production event",
    );
  });
});
