import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { openDatabase, type OpenedDatabase } from "../db/database.ts";
import type { EventLog } from "../events/event-log.ts";
import { createEvents } from "../events/events.module.ts";
import { eventlessTables, platformMigrations } from "../platform/migrations.ts";
import { RampartError } from "../shared/errors.ts";
import { type BackupSettings, BackupService } from "./backup.service.ts";
import { restoreBackup } from "./restore.ts";

describe("BackupService and restore, over a real database", () => {
  let root: string;
  let dataDir: string;
  let database: OpenedDatabase;
  let events: EventLog;
  let settings: BackupSettings;
  let service: BackupService;
  let now = Date.parse("2026-12-05T12:00:00Z");

  before(async () => {
    root = mkdtempSync(join(tmpdir(), "rampart-backup-"));
    dataDir = join(root, "data");
    // With the event audit on: a backup writes no state, only its event.
    database = await openDatabase(dataDir, platformMigrations, { audit: { eventless: eventlessTables } });
    events = createEvents({ db: database.db, clock: { now: () => now } }).log;
    mkdirSync(join(dataDir, "audit"), { recursive: true });
    writeFileSync(join(dataDir, "audit", "public-key.pem"), "PEM\n");
    // A torn last line (a checkpoint being appended) is left out of the copy.
    writeFileSync(join(dataDir, "audit", "checkpoints.jsonl"), '{"eventId":1}\n{"eventId":2');
    settings = { dir: join(root, "backups"), everyMs: 3_600_000, keep: 2 };
    service = new BackupService({ db: database.db, events, clock: { now: () => now }, dataDir, version: "test", settings: () => settings });
    for (let i = 0; i < 50; i++) await events.append({ type: "platform.started", message: `event ${i}`, data: {} });
  });
  after(async () => {
    await database.close();
    rmSync(root, { recursive: true, force: true });
  });

  it("writes an archive with a manifest of checksums, records backup.created, and restores it into a new data dir", async () => {
    const t0 = performance.now();
    const backup = await service.create("ada");
    const ms = performance.now() - t0;
    assert.ok(existsSync(backup.path));
    assert.equal(backup.lastEventId, 50);
    assert.equal(service.list().length, 1);
    const created = await events.query({ type: "backup.created", limit: 10 });
    assert.equal(created[0]?.actor, "ada");
    assert.equal(created[0]?.data.sha256, backup.sha256);
    const target = join(root, "restored");
    const { manifest } = await restoreBackup(backup.path, target);
    assert.equal(manifest.lastEventId, 50);
    assert.deepEqual(readdirSync(target).sort(), ["audit", "rampart.db"]);
    assert.equal(readFileSync(join(target, "audit", "checkpoints.jsonl"), "utf8"), '{"eventId":1}\n');
    assert.ok(manifest.excluded.some((e) => /secrets key/.test(e)));
    assert.equal(database.audit?.violations.length ?? 0, 0);
    process.stdout.write(`# backup of a ${backup.bytes}-byte archive took ${ms.toFixed(0)} ms\n`);
  });

  it("refuses a non-empty target, an altered archive and a file that is not a backup, leaving the target empty", async () => {
    const backup = service.list()[0] ?? assert.fail();
    await assert.rejects(
      restoreBackup(backup.path, join(root, "restored")),
      (e: unknown) => e instanceof RampartError && /not empty/.test(e.message),
    );
    // Alter one file inside the archive: its checksum no longer matches.
    const unpacked = join(root, "tamper");
    mkdirSync(unpacked);
    spawnSync("tar", ["-xzf", backup.path, "-C", unpacked]);
    writeFileSync(join(unpacked, "audit", "public-key.pem"), "ANOTHER KEY\n");
    const altered = join(root, "altered.tar.gz");
    spawnSync("tar", ["-czf", altered, "-C", unpacked, "."]);
    const target = join(root, "restored-altered");
    await assert.rejects(restoreBackup(altered, target), /public-key.pem does not match its checksum/);
    assert.deepEqual(readdirSync(target), []);
    writeFileSync(join(root, "junk.tar.gz"), "not gzip");
    await assert.rejects(restoreBackup(join(root, "junk.tar.gz"), join(root, "restored-junk")), /not a readable backup archive/);
  });

  it("keeps only the newest `keep` backups and schedules the next one `every` after the newest", async () => {
    now += 1000;
    await service.create("rampart", true);
    now += 1000;
    const newest = await service.create("rampart", true);
    // The first (on demand) backup went: two kept, and no stray files left from the staging.
    assert.deepEqual(
      readdirSync(settings.dir ?? "").sort(),
      service
        .list()
        .flatMap((b) => [b.name, `${b.name}.json`])
        .sort(),
    );
    assert.equal(service.list().length, 2);
    assert.equal(service.nextDue(), newest.createdAt + 3_600_000);
  });

  it("records backup.failed with the reason when the backups dir cannot be written", async () => {
    // A file where the dir should be (root ignores a read-only mode, this fails for everyone).
    const blocked = join(root, "a-file");
    writeFileSync(blocked, "");
    settings = { ...settings, dir: blocked };
    await assert.rejects(service.create("ada"), (e: unknown) => e instanceof RampartError && e.code === "backup_failed");
    const failed = await events.query({ type: "backup.failed", limit: 10 });
    assert.equal(failed.length, 1);
    assert.equal(failed[0]?.actor, "ada");
  });
});
