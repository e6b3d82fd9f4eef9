import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { openDatabase } from "../db/database.ts";
import { platformMigrations } from "../platform/migrations.ts";
import { FailedUsersStore } from "./failed-users.store.ts";

const root = mkdtempSync(join(tmpdir(), "rampart-failed-users-"));
after(() => rmSync(root, { recursive: true, force: true }));

test("the store keeps one row per user and minute and counts distinct users over a window", async () => {
  const taken = [{ env: "p", app: "web", release: 2, keys: [1, 2, 2, 3] }];
  const database = await openDatabase(join(root, "store"), platformMigrations);
  try {
    const store = new FailedUsersStore(database.db);
    const minute = 1_800_000_000_000;
    await store.insert(minute + 5_000, taken);
    await store.insert(minute + 6_000, taken);
    await store.insert(minute + 65_000, [{ env: "p", app: "web", release: 3, keys: [3, 4] }]);
    await store.insert(minute + 65_000, [{ env: "staging", app: "web", release: 3, keys: [9] }]);
    assert.equal(await store.distinct("p", "web", minute, minute + 120_000), 4);
    assert.equal(await store.distinct("p", "web", minute + 30_000, minute + 60_000), 3, "the first minute only");
    assert.equal(await store.distinct("p", "api", minute, minute + 120_000), 0);
    await store.deleteBefore(minute + 60_000);
    assert.equal(await store.distinct("p", "web", minute, minute + 120_000), 2);
  } finally {
    await database.close();
  }
});
