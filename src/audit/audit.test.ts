import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { appendFileSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { after, describe, it } from "node:test";
import { sql } from "kysely";
import { chainHash, GENESIS_HASH, signCheckpoint } from "../access/audit-chain.ts";
import { type OpenedDatabase, openDatabase } from "../db/database.ts";
import { EventLog } from "../events/event-log.ts";
import { parseData } from "../events/event.store.ts";
import { platformMigrations } from "../platform/migrations.ts";
import { systemClock } from "../shared/clock.ts";
import { RampartError } from "../shared/errors.ts";
import { storageProblem } from "../shared/storage-errors.ts";
import { waitFor } from "../shared/wait.ts";
import { createAudit, type Audit } from "./audit.module.ts";
import { auditKeyPath } from "./audit-key.ts";
import { CheckpointFile } from "./checkpoint-file.ts";

const root = mkdtempSync(join(tmpdir(), "rampart-audit-"));
after(() => rmSync(root, { recursive: true, force: true }));
let dirs = 0;

interface Fixture {
  dataDir: string;
  keyFile: string;
  database: OpenedDatabase;
  log: EventLog;
  audit: Audit;
  close(): Promise<void>;
}

/** A data dir with `n` events written through the EventLog, the audit started (checkpoint every `every` events). */
async function fixture(n: number, every = 10, keyFile?: string): Promise<Fixture> {
  const dataDir = join(root, `data-${++dirs}`);
  const key = keyFile ?? join(root, `key-${dirs}`);
  const database = await openDatabase(dataDir, platformMigrations);
  const log = new EventLog(database.db, systemClock);
  const audit = createAudit({
    db: database.db,
    events: log,
    clock: systemClock,
    dataDir,
    keyFile: key,
    policy: { everyEvents: every, everyMs: 60_000 },
  });
  await audit.start?.();
  await audit.run?.();
  for (let i = 1; i <= n; i++) {
    await log.append({
      type: "release.created",
      env: "production",
      app: "web",
      release: i,
      actor: "alice",
      message: `release ${i}`,
      data: { n: i, nested: { b: 2, a: 1 } },
    });
  }
  return {
    dataDir,
    keyFile: key,
    database,
    log,
    audit,
    close: async () => {
      await audit.stop?.();
      await database.close();
    },
  };
}

/** Tampering as an intruder would: the Debian sqlite3 CLI on the live database file. */
function sqlite3(f: Fixture, statement: string): void {
  execFileSync("sqlite3", [join(f.dataDir, "rampart.db"), statement]);
}

describe("the tamper-evident event log", () => {
  it("chains every event as it is written, and verifies with the checkpoints", async () => {
    const f = await fixture(25, 10);
    try {
      const result = await f.audit.service.verify();
      assert.equal(result.ok, true, result.message);
      assert.equal(result.events, 25);
      // Every 10 events: checkpoints at 10 and 20.
      assert.deepEqual(
        new CheckpointFile(f.dataDir).read().checkpoints.map((c) => c.eventId),
        [10, 20],
      );
      assert.match(result.message, /^verified 25 events, last checkpoint #2 at \d{4}-\d\d-\d\dT.* \(event 20\)$/);
      // The key was created 0600, outside the data dir; its public half is recorded in it.
      assert.equal(statSync(f.keyFile).mode & 0o777, 0o600);
      assert.ok(new CheckpointFile(f.dataDir).recordedPublicKey()?.includes("BEGIN PUBLIC KEY"));
      assert.match(result.key, /^SHA256:[A-Za-z0-9+/]{43}=$/);
    } finally {
      await f.close();
    }
    // A clean stop pins the head.
    assert.equal(new CheckpointFile(f.dataDir).read().checkpoints.at(-1)?.eventId, 25);
  });

  it("chains appends that race each other (each reads its predecessor's hash in its own transaction)", async () => {
    const f = await fixture(0, 7);
    try {
      await Promise.all([
        ...Array.from({ length: 40 }, (_, i) => f.log.append({ type: "platform.started", message: `racer ${i}` })),
        ...Array.from({ length: 10 }, (_, i) =>
          f.log.transact(async (_trx, emit) => {
            await emit({ type: "release.created", message: `batch ${i} a` });
            await emit({ type: "release.created", message: `batch ${i} b` });
          }),
        ),
      ]);
      const result = await f.audit.service.verify();
      assert.equal(result.ok, true, result.message);
      assert.equal(result.events, 60);
      assert.equal(f.log.head()?.id, 60);
    } finally {
      await f.close();
    }
  });

  it("names an event changed by one byte with sqlite3 (id, type, time) and says what to do next", async () => {
    const f = await fixture(30);
    try {
      sqlite3(f, "UPDATE events SET message = 'X' || substr(message, 2) WHERE id = 17");
      const result = await f.audit.service.verify();
      assert.equal(result.ok, false);
      assert.equal(result.problem?.kind, "changed");
      assert.equal(result.problem?.eventId, 17);
      assert.equal(result.problem?.event?.type, "release.created");
      assert.match(result.message, /event 17 \(release\.created\).*\[event 17, release\.created, \d{4}-/);
      assert.match(result.problem?.hint ?? "", /events up to 16 check out.*sqlite3 rampart\.db/);
    } finally {
      await f.close();
    }
  });

  it("names a deleted event, two swapped events and a truncated tail", async () => {
    const deleted = await fixture(30);
    try {
      sqlite3(deleted, "DELETE FROM events WHERE id = 12");
      const result = await deleted.audit.service.verify();
      assert.deepEqual([result.problem?.kind, result.problem?.eventId, result.problem?.event?.id], ["removed", 12, 13]);
      assert.match(result.message, /event 12 is missing/);
    } finally {
      await deleted.close();
    }
    const swapped = await fixture(30);
    try {
      sqlite3(
        swapped,
        "UPDATE events SET id = -1 WHERE id = 8; UPDATE events SET id = 8 WHERE id = 9; UPDATE events SET id = 9 WHERE id = -1",
      );
      const result = await swapped.audit.service.verify();
      assert.deepEqual([result.problem?.kind, result.problem?.eventId], ["changed", 8]);
    } finally {
      await swapped.close();
    }
    const truncated = await fixture(30);
    try {
      // The checkpoint at 30 (every 10) is past the end once 26–30 are gone.
      sqlite3(truncated, "DELETE FROM events WHERE id > 25");
      const result = await truncated.audit.service.verify();
      assert.deepEqual([result.problem?.kind, result.problem?.eventId], ["removed", 26]);
      assert.match(result.message, /covers event 30, but the log ends at event 25/);
    } finally {
      await truncated.close();
    }
  });

  it("catches a chain recomputed after an edit by the signed checkpoint, and a checkpoint forged with another key", async () => {
    const f = await fixture(30);
    try {
      // The intruder edits event 13 and recomputes every later hash: the chain itself holds again.
      const db = new DatabaseSync(join(f.dataDir, "rampart.db"));
      db.exec("UPDATE events SET actor = 'mallory' WHERE id = 13");
      let previous = String(db.prepare("SELECT hash FROM events WHERE id = 12").get()?.hash);
      for (const row of db.prepare("SELECT * FROM events WHERE id >= 13 ORDER BY id").all()) {
        const event = {
          id: Number(row.id),
          at: Number(row.at),
          type: String(row.type),
          env: row.env === null ? null : String(row.env),
          app: row.app === null ? null : String(row.app),
          release: row.release === null ? null : Number(row.release),
          instance: row.instance === null ? null : String(row.instance),
          actor: String(row.actor),
          message: String(row.message),
          data: parseData(String(row.data)),
        };
        previous = chainHash(previous, event);
        db.prepare("UPDATE events SET hash = ? WHERE id = ?").run(previous, event.id);
      }
      db.close();
      const result = await f.audit.service.verify();
      assert.deepEqual([result.problem?.kind, result.problem?.eventId], ["changed", 20]);
      assert.match(result.message, /an event between 11 and 20 was changed and every later hash recomputed/);

      // Nor can it sign a checkpoint for its chain with a key of its own.
      const mallory = generateKeyPairSync("ed25519");
      const file = new CheckpointFile(f.dataDir);
      appendFileSync(file.path, `${JSON.stringify(signCheckpoint({ eventId: 30, hash: previous, at: Date.now() }, mallory.privateKey))}\n`);
      const forged = await f.audit.service.verify();
      assert.equal(forged.problem?.kind, "checkpoint");
      assert.match(forged.message, /invalid signature/);
    } finally {
      await f.close();
    }
  });

  it("hashes the events of an older data dir in id order, and continues the chain from them", async () => {
    const dataDir = join(root, "old");
    // The data dir of the last release before the chain: every migration named before it.
    const before = Object.fromEntries(Object.entries(platformMigrations).filter(([name]) => name < "0006_audit_chain"));
    const old = await openDatabase(dataDir, before);
    for (let i = 1; i <= 2500; i++) {
      await sql`INSERT INTO events (at, type, env, app, release, instance, actor, message, data) VALUES (${1_700_000_000_000 + i}, 'release.created', 'staging', 'web', ${i}, NULL, 'admin', ${`old ${i}`}, ${JSON.stringify({ i })})`.execute(
        old.db,
      );
    }
    await old.close();
    const database = await openDatabase(dataDir, platformMigrations);
    const log = new EventLog(database.db, systemClock);
    const audit = createAudit({ db: database.db, events: log, clock: systemClock, dataDir, keyFile: join(root, "key-old") });
    try {
      const first = await database.db.selectFrom("events").select(["hash", "at", "message"]).where("id", "=", 1).executeTakeFirstOrThrow();
      assert.equal(
        first.hash,
        chainHash(GENESIS_HASH, {
          id: 1,
          at: first.at,
          type: "release.created",
          env: "staging",
          app: "web",
          release: 1,
          instance: null,
          actor: "admin",
          message: "old 1",
          data: { i: 1 },
        }),
      );
      await audit.start?.();
      await audit.run?.();
      // The migrated chain is pinned at once.
      assert.deepEqual(
        new CheckpointFile(dataDir).read().checkpoints.map((c) => c.eventId),
        [2500],
      );
      await log.append({ type: "platform.started", message: "up" });
      const result = await audit.service.verify();
      assert.equal(result.ok, true, result.message);
      assert.equal(result.events, 2501);
    } finally {
      await audit.stop?.();
      await database.close();
    }
  });

  it("signs a checkpoint every M minutes while events come in, and verifies with only the recorded public key", async () => {
    const f = await fixture(3, 1000);
    await f.close();
    const database = await openDatabase(f.dataDir, platformMigrations);
    const log = new EventLog(database.db, systemClock);
    const policy = { everyEvents: 1000, everyMs: 50 };
    const audit = createAudit({ db: database.db, events: log, clock: systemClock, dataDir: f.dataDir, keyFile: f.keyFile, policy });
    try {
      await audit.start?.();
      await audit.run?.();
      const checkpoints = () => new CheckpointFile(f.dataDir).read().checkpoints.map((c) => c.eventId);
      assert.deepEqual(checkpoints(), [3]);
      await log.append({ type: "platform.started", message: "up" });
      await waitFor(() => (checkpoints().at(-1) === 4 ? true : undefined), { timeoutMs: 5000 });
    } finally {
      await audit.stop?.();
    }
    // A reader without the private key (it was never loaded here) checks against DATA/audit/public-key.pem.
    const reader = createAudit({ db: database.db, events: log, clock: systemClock, dataDir: f.dataDir, keyFile: join(root, "absent") });
    try {
      const result = await reader.service.verify();
      assert.equal(result.ok, true, result.message);
      assert.equal(result.events, 4);
    } finally {
      await database.close();
    }
  });

  it("keeps the key outside the data dir, and refuses a key other than the one the checkpoints were signed with", async () => {
    assert.equal(auditKeyPath({ RAMPART_AUDIT_KEY_FILE: "/tmp/k" }), "/tmp/k");
    assert.equal(auditKeyPath({ XDG_CONFIG_HOME: "/cfg" }), "/cfg/rampart/audit-key");
    assert.match(auditKeyPath({}), /\/\.config\/rampart\/audit-key$/);

    const f = await fixture(3);
    await f.close();
    const database = await openDatabase(f.dataDir, platformMigrations);
    const log = new EventLog(database.db, systemClock);
    try {
      const inside = createAudit({ db: database.db, events: log, clock: systemClock, dataDir: f.dataDir, keyFile: join(f.dataDir, "k") });
      assert.throws(
        () => inside.service.start(),
        (e: unknown) => e instanceof RampartError && /is inside the data dir/.test(e.message) && /RAMPART_AUDIT_KEY_FILE/.test(e.hint),
      );
      const other = createAudit({
        db: database.db,
        events: log,
        clock: systemClock,
        dataDir: f.dataDir,
        keyFile: join(root, "another-key"),
      });
      assert.throws(
        () => other.service.start(),
        (e: unknown) =>
          e instanceof RampartError &&
          e.code === "audit_key" &&
          /is not the key this data dir's checkpoints/.test(e.message) &&
          /RAMPART_AUDIT_KEY_FILE/.test(e.hint),
      );
      const loose = join(root, "loose-key");
      writeFileSync(loose, "x", { mode: 0o644 });
      const open = createAudit({ db: database.db, events: log, clock: systemClock, dataDir: f.dataDir, keyFile: loose });
      assert.throws(
        () => open.service.start(),
        (e: unknown) => e instanceof RampartError && /chmod 600/.test(e.hint),
      );
    } finally {
      await database.close();
    }
  });
});

describe("the request auditor", () => {
  it("records attempts, outcomes and denials with the actor, never the query string, and shows them in the audit view", async () => {
    const f = await fixture(0);
    try {
      const request = {
        actor: "svc:ci",
        address: "10.0.0.7",
        method: "POST",
        route: "/api/v1/envs/:env/apps/:app/releases",
        path: "/api/v1/envs/production/apps/web/releases?token=s3cret",
        permission: "deploy" as const,
        env: "production",
        app: "web",
      };
      const id = await f.audit.auditor.attempt(request);
      await f.audit.auditor.outcome(id, { status: 201, error: null });
      await f.audit.auditor.denied({ ...request, actor: "bob", permission: "secrets.reveal" }, { status: 403, error: "forbidden" });
      const view = await f.audit.service.query({ type: "audit.", limit: 10 });
      assert.deepEqual(
        view.map((e) => [e.actor, e.data.phase, e.data.status, e.data.attemptId]),
        [
          ["svc:ci", "attempt", null, null],
          ["svc:ci", "outcome", 201, id],
          ["bob", "denied", 403, null],
        ],
      );
      assert.deepEqual(view[0]?.data, {
        phase: "attempt",
        address: "10.0.0.7",
        method: "POST",
        route: "/api/v1/envs/:env/apps/:app/releases",
        path: "/api/v1/envs/production/apps/web/releases",
        permission: "deploy",
        status: null,
        error: null,
        attemptId: null,
      });
      assert.equal(JSON.stringify(view).includes("s3cret"), false);
      assert.deepEqual(
        (await f.audit.service.query({ actor: "bob", limit: 10 })).map((e) => e.data.phase),
        ["denied"],
      );
      assert.equal((await f.audit.service.verify()).ok, true);
    } finally {
      await f.close();
    }
  });

  it("fails closed: when the record cannot be written (read-only or full store), attempt throws", async () => {
    const f = await fixture(0);
    const request = {
      actor: "alice",
      address: "127.0.0.1",
      method: "GET",
      route: "/x",
      path: "/x",
      permission: null,
      env: null,
      app: null,
    };
    try {
      await sql`PRAGMA query_only = ON`.execute(f.database.db);
      await assert.rejects(f.audit.auditor.attempt(request), (error: unknown) => storageProblem(error) === "read-only");
      await sql`PRAGMA query_only = OFF`.execute(f.database.db);
      const { rows } = await sql<{ page_count: number }>`PRAGMA page_count`.execute(f.database.db);
      await sql.raw(`PRAGMA max_page_count = ${rows[0]?.page_count ?? 1}`).execute(f.database.db);
      const big = { ...request, path: `/${"x".repeat(200_000)}` };
      await assert.rejects(f.audit.auditor.attempt(big), (error: unknown) => storageProblem(error) === "full");
      assert.deepEqual(await f.audit.service.query({ type: "audit.", limit: 10 }), []);
    } finally {
      await f.close();
    }
  });
});
