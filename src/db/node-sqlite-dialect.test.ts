import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, it } from "node:test";
import { sql } from "kysely";
import { storageProblem } from "../shared/storage-errors.ts";
import { openDatabase } from "./database.ts";
import { platformMigrations } from "../platform/migrations.ts";

const dir = mkdtempSync(join(tmpdir(), "rampart-dialect-"));
after(() => rmSync(dir, { recursive: true, force: true }));

it("a transaction that fills the store fails with SQLite's own 'full' error, not a failed rollback", async () => {
  const { db, close } = await openDatabase(dir, platformMigrations);
  try {
    // The store may not grow past its current size: the next big write is SQLITE_FULL, as on a full disk.
    const { rows } = await sql<{ page_count: number }>`PRAGMA page_count`.execute(db);
    await sql.raw(`PRAGMA max_page_count = ${rows[0]?.page_count ?? 1}`).execute(db);
    const write = db.transaction().execute(async (trx) => {
      for (let i = 0; i < 50; i++)
        await trx
          .insertInto("kv")
          .values({ key: `k${i}`, value: "x".repeat(100_000) })
          .execute();
    });
    await assert.rejects(write, (error: unknown) => {
      assert.equal(storageProblem(error), "full", String(error));
      return true;
    });
    // The connection is usable afterwards.
    assert.deepEqual(await db.selectFrom("kv").selectAll().where("key", "=", "k0").execute(), []);
  } finally {
    await close();
  }
});
