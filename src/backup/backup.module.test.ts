import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { openDatabase, type OpenedDatabase } from "../db/database.ts";
import { createEvents } from "../events/events.module.ts";
import { platformMigrations } from "../platform/migrations.ts";
import { systemClock } from "../shared/clock.ts";
import { waitFor } from "../shared/wait.ts";
import { createBackups } from "./backup.module.ts";

describe("scheduled backups", () => {
  let root: string;
  let database: OpenedDatabase;

  before(async () => {
    root = mkdtempSync(join(tmpdir(), "rampart-backup-schedule-"));
    database = await openDatabase(join(root, "data"), platformMigrations);
  });
  after(async () => {
    await database.close();
    rmSync(root, { recursive: true, force: true });
  });

  it("takes one at once when there is none, then every `every`, keeping the newest `keep`, as the platform (actor rampart)", async () => {
    const events = createEvents({ db: database.db, clock: systemClock }).log;
    const dir = join(root, "backups");
    const backups = createBackups({
      db: database.db,
      events,
      clock: systemClock,
      dataDir: join(root, "data"),
      version: "test",
      settings: () => ({ dir, everyMs: 300, keep: 2 }),
    });
    await backups.run?.();
    try {
      const created = await waitFor(
        async () => {
          const list = await events.query({ type: "backup.created", limit: 100 });
          return list.length >= 3 ? list : undefined;
        },
        { timeoutMs: 20_000 },
      );
      assert.ok(created.every((e) => e.actor === "rampart" && e.data.scheduled === true));
      assert.equal(backups.service.list().length, 2);
    } finally {
      await backups.stop?.();
    }
  });
});
