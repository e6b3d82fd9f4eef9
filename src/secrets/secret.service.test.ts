import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { openDatabase, type OpenedDatabase } from "../db/database.ts";
import { EventLog } from "../events/event-log.ts";
import { platformMigrations } from "../platform/migrations.ts";
import { RampartError } from "../shared/errors.ts";
import { secretDb } from "./secret-tables.ts";
import { secretsKeyPath, SecretKeyring } from "./secret-keyring.ts";
import { SecretService } from "./secret.service.ts";
import { SecretStore } from "./secret.store.ts";

const clock = { now: () => Date.UTC(2026, 0, 1) };

async function rejects(work: Promise<unknown>, code: string, pattern: RegExp): Promise<RampartError> {
  try {
    await work;
  } catch (error) {
    assert.ok(error instanceof RampartError, String(error));
    assert.equal(error.code, code, error.message);
    assert.match(`${error.message}\n${error.hint}`, pattern);
    return error;
  }
  assert.fail(`expected ${code}`);
}

describe("SecretService", () => {
  let dir: string;
  let database: OpenedDatabase;
  let service: SecretService;
  let keyFile: string;
  const released: string[] = [];
  const env: Record<string, string | undefined> = {};

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "rampart-secrets-"));
    keyFile = join(dir, "config", "rampart", "secrets.key");
    env.XDG_CONFIG_HOME = join(dir, "config");
    database = await openDatabase(join(dir, "data"), platformMigrations);
    service = new SecretService({
      db: database.db,
      store: new SecretStore(database.db),
      events: new EventLog(database.db, clock),
      clock,
      keyring: new SecretKeyring({ env }),
      manifest: {
        assertApp: () => {},
        assertEnvironment: () => {},
        required: (_env, app) => (app === "api" ? ["DATABASE_URL"] : []),
      },
      releaser: () => ({
        assertIdle: async () => {},
        release: async (e, app, _actor, cause) => {
          released.push(`${e}/${app}: ${cause}`);
          return null;
        },
      }),
    });
  });
  after(async () => {
    await database.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("finds the key file under XDG_CONFIG_HOME, or where RAMPART_SECRETS_KEY_FILE says", () => {
    assert.equal(secretsKeyPath({ XDG_CONFIG_HOME: "/x" }), "/x/rampart/secrets.key");
    assert.equal(secretsKeyPath({ HOME: "/home/a" }), "/home/a/.config/rampart/secrets.key");
    assert.equal(secretsKeyPath({ RAMPART_SECRETS_KEY_FILE: "/k/key", XDG_CONFIG_HOME: "/x" }), "/k/key");
  });

  it("creates the key file 0600 at the first set, versions every set, and makes each change a release", async () => {
    assert.equal(existsSync(keyFile), false);
    const first = await service.set("staging", "api", "DATABASE_URL", "postgres://u:hunter2-first@db/x", "alice");
    assert.equal(statSync(keyFile).mode & 0o777, 0o600);
    const second = await service.set("staging", "api", "DATABASE_URL", "postgres://u:hunter2-second@db/x", "bob");
    assert.deepEqual([first.secret.version, second.secret.version], [1, 2]);
    assert.deepEqual(released.slice(-2), [
      "staging/api: secret DATABASE_URL set (version 1)",
      "staging/api: secret DATABASE_URL set (version 2)",
    ]);
    const list = await service.list("staging", "api");
    assert.deepEqual(
      list.map((s) => [s.name, s.version, s.setBy, s.required]),
      [["DATABASE_URL", 2, "bob", true]],
    );
    assert.deepEqual(await service.values({ env: "staging", app: "api", versions: { DATABASE_URL: 1 } }), {
      DATABASE_URL: "postgres://u:hunter2-first@db/x",
    });
  });

  it("stores only ciphertext: no value in the database file or the events", async () => {
    // The WAL holds recent writes before a checkpoint: both files are read.
    for (const file of ["rampart.db", "rampart.db-wal"]) {
      const path = join(dir, "data", file);
      if (existsSync(path)) assert.equal(readFileSync(path).includes("hunter2"), false, `${file} holds a value`);
    }
    const events = await database.db.selectFrom("events").selectAll().execute();
    assert.equal(JSON.stringify(events).includes("hunter2"), false);
    assert.ok(events.some((e) => e.type === "secret.set" && JSON.parse(e.data).version === 2));
  });

  it("binds each ciphertext to its env/app/key/version: a swapped ciphertext does not open", async () => {
    await service.set("staging", "api", "OTHER", "another-value-123", "alice");
    const sdb = secretDb(database.db);
    const other = await sdb.selectFrom("secret_versions").select("sealed").where("name", "=", "OTHER").executeTakeFirstOrThrow();
    await database.db.transaction().execute(async (trx) => {
      await secretDb(trx)
        .updateTable("secret_versions")
        .set({ sealed: other.sealed })
        .where("name", "=", "DATABASE_URL")
        .where("version", "=", 1)
        .execute();
    });
    await rejects(
      service.values({ env: "staging", app: "api", versions: { DATABASE_URL: 1 } }),
      "secret_undecryptable",
      /DATABASE_URL version 1 of api in staging/,
    );
  });

  it("refuses a deploy missing a required secret, naming it and the command to set it", async () => {
    await rejects(
      service.versionsFor("production", "api", ["DATABASE_URL"]),
      "secret_missing",
      /DATABASE_URL.*production[\s\S]*rampart secrets set api DATABASE_URL --env production/,
    );
    assert.deepEqual(await service.versionsFor("staging", "api", ["DATABASE_URL"]), { DATABASE_URL: 2, OTHER: 1 });
  });

  it("unsets with a tombstone version, keeps history, refuses to unset a required one", async () => {
    await rejects(service.unset("staging", "api", "DATABASE_URL", "alice"), "secret_required", /apps\.api\.secrets/);
    const change = await service.unset("staging", "api", "OTHER", "alice");
    assert.equal(change.secret.version, 2);
    assert.deepEqual(
      (await service.history("staging", "api", "OTHER")).map((v) => [v.version, v.state]),
      [
        [2, "unset"],
        [1, "set"],
      ],
    );
    assert.deepEqual(
      (await service.list("staging", "api")).map((s) => s.name),
      ["DATABASE_URL"],
    );
  });

  it("diffs two environments by name", async () => {
    await service.set("production", "api", "DATABASE_URL", "postgres://prod-value@db/x", "alice");
    await service.set("production", "web", "STRIPE_KEY", "sk_live_abcdef", "alice");
    const diff = await service.diff("staging", "production");
    assert.deepEqual(diff.entries, [
      { app: "api", name: "DATABASE_URL", a: 2, b: 1 },
      { app: "web", name: "STRIPE_KEY", a: null, b: 1 },
    ]);
  });

  it("reveals a value and records who, never the value", async () => {
    const revealed = await service.reveal("production", "web", "STRIPE_KEY", "carol");
    assert.equal(revealed.value, "sk_live_abcdef");
    const events = await database.db.selectFrom("events").selectAll().where("type", "=", "secret.revealed").execute();
    assert.equal(events.at(-1)?.actor, "carol");
    assert.equal(JSON.stringify(events).includes("sk_live"), false);
  });

  it("rotates the key: data keys rewrapped, values unchanged, .previous removed when done", async () => {
    const before = readFileSync(keyFile, "utf8");
    const rotated = await service.rotateKey("admin");
    assert.notEqual(readFileSync(keyFile, "utf8"), before);
    assert.notEqual(rotated.from, rotated.to);
    assert.deepEqual(rotated.environments, ["production", "staging"]);
    assert.equal(existsSync(`${keyFile}.previous`), false);
    assert.equal(existsSync(`${keyFile}.next`), false);
    assert.equal(statSync(keyFile).mode & 0o777, 0o600);
    assert.equal((await service.reveal("production", "web", "STRIPE_KEY", "carol")).value, "sk_live_abcdef");
    // The old key opens nothing any more.
    writeFileSync(join(dir, "old.key"), before);
    const old = new SecretService({
      ...serviceDeps(),
      keyring: new SecretKeyring({ env: { RAMPART_SECRETS_KEY_FILE: join(dir, "old.key") } }),
    });
    await rejects(old.reveal("production", "web", "STRIPE_KEY", "carol"), "secret_undecryptable", /encrypted under key/);
  });

  it("a crash mid-rotation leaves a key that still opens everything (.previous / .next are tried)", async () => {
    const current = readFileSync(keyFile, "utf8");
    renameSync(keyFile, `${keyFile}.previous`);
    writeFileSync(keyFile, "Zm9vYmFyYmF6Zm9vYmFyYmF6Zm9vYmFyYmF6Zm9vYmE=\n", { mode: 0o600 });
    assert.equal((await service.reveal("production", "web", "STRIPE_KEY", "carol")).value, "sk_live_abcdef");
    writeFileSync(keyFile, current, { mode: 0o600 });
    rmSync(`${keyFile}.previous`);
  });

  it("a lost key: a clear error naming environment, app and keys, and the next step", async () => {
    renameSync(keyFile, `${keyFile}.away`);
    const error = await rejects(
      service.values({ env: "production", app: "api", versions: { DATABASE_URL: 1 } }),
      "secret_undecryptable",
      /cannot decrypt the secrets of production \(api's DATABASE_URL\).*no key at/,
    );
    assert.match(error.hint, /restore the key file/);
    await rejects(service.set("production", "api", "DATABASE_URL", "x-new-value", "alice"), "secret_undecryptable", /production/);
    renameSync(`${keyFile}.away`, keyFile);
  });

  it("takes the key from RAMPART_SECRETS_KEY and refuses to rotate it", async () => {
    const keyring = new SecretKeyring({ env: { RAMPART_SECRETS_KEY: readFileSync(keyFile, "utf8").trim() } });
    const viaEnv = new SecretService({ ...serviceDeps(), keyring });
    assert.equal((await viaEnv.reveal("production", "web", "STRIPE_KEY", "carol")).value, "sk_live_abcdef");
    await rejects(viaEnv.rotateKey("admin"), "secrets_key_in_environment", /RAMPART_SECRETS_KEY/);
    await rejects(
      new SecretService({ ...serviceDeps(), keyring: new SecretKeyring({ env: { RAMPART_SECRETS_KEY: "short" } }) }).reveal(
        "production",
        "web",
        "STRIPE_KEY",
        "c",
      ),
      "secrets_key_unreadable",
      /32 random bytes in base64/,
    );
  });

  function serviceDeps() {
    return {
      db: database.db,
      store: new SecretStore(database.db),
      events: new EventLog(database.db, clock),
      clock,
      keyring: new SecretKeyring({ env }),
      manifest: { assertApp: () => {}, assertEnvironment: () => {}, required: () => [] },
      releaser: () => ({ assertIdle: async () => {}, release: async () => null }),
    };
  }
});
