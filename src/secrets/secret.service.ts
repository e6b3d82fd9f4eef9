import type { Db } from "../db/database.ts";
import type { EventLog } from "../events/event-log.ts";
import type { ReleaseView } from "../releases/release.types.ts";
import type { Clock } from "../shared/clock.ts";
import { conflict, notFound, RampartError } from "../shared/errors.ts";
import { dataKeyAad, newKey, open, seal, valueAad } from "./secret-crypto.ts";
import type { Kek, SecretKeyring } from "./secret-keyring.ts";
import type { SecretStore, SecretVersionRow } from "./secret.store.ts";
import type { SecretDiff, SecretMeta, SecretVersionView } from "./secret.types.ts";

/** How a secret change becomes a release (the releases capability, given late). */
export interface SecretReleaser {
  /** Throws rollout_in_progress while a rollout of the app is under way: the change would have nothing to ride on. */
  assertIdle(env: string, app: string): Promise<void>;
  /** Release N+1 of the live release (same artifact and config, the app's current secret versions); null when nothing is live. */
  release(env: string, app: string, actor: string, cause: string): Promise<ReleaseView | null>;
}

export interface SecretManifest {
  /** Throws unknown_environment / unknown_app naming what exists. */
  assertApp(env: string, app: string): void;
  assertEnvironment(env: string): void;
  /** The names apps.<app>.secrets declares in that environment. */
  required(env: string, app: string): string[];
}

export interface SecretServiceDeps {
  db: Db;
  store: SecretStore;
  events: EventLog;
  clock: Clock;
  keyring: SecretKeyring;
  manifest: SecretManifest;
  releaser(): SecretReleaser;
}

export interface SecretChange {
  secret: { env: string; app: string; name: string; version: number; state: "set" | "unset" };
  /** The release the change rolls out as; null when the app has nothing live yet (its first deploy carries it). */
  release: ReleaseView | null;
}

/**
 * Secrets per app and environment: every value sealed (AES-256-GCM) under its environment's data key, which is
 * wrapped by the key-encryption key outside the data dir. Events carry names and versions, never values.
 */
export class SecretService {
  readonly #deps: SecretServiceDeps;

  constructor(deps: SecretServiceDeps) {
    this.#deps = deps;
  }

  async list(env: string, app: string): Promise<SecretMeta[]> {
    this.#deps.manifest.assertApp(env, app);
    const required = new Set(this.#deps.manifest.required(env, app));
    const rows = (await this.#deps.store.latest(env, app)).filter((r) => r.sealed !== null);
    return rows.map((r) => ({
      env,
      app,
      name: r.name,
      version: r.version,
      setBy: r.created_by,
      setAt: r.created_at,
      required: required.has(r.name),
    }));
  }

  async set(env: string, app: string, name: string, value: string, actor: string): Promise<SecretChange> {
    this.#deps.manifest.assertApp(env, app);
    await this.#deps.releaser().assertIdle(env, app);
    const version = await this.#deps.events.transact(async (trx, emit) => {
      const dataKey = await this.#dataKey(trx, env, true);
      const latest = await this.#deps.store.latestVersion(trx, env, app, name);
      const version = (latest?.version ?? 0) + 1;
      const sealed = seal(dataKey, Buffer.from(value, "utf8"), valueAad(env, app, name, version));
      await this.#deps.store.insertVersion(trx, { env, app, name, version, sealed, created_by: actor, created_at: this.#deps.clock.now() });
      await emit({
        env,
        app,
        actor,
        type: "secret.set",
        message: `secret ${name} of ${app} in ${env} set (version ${version})`,
        data: { name, version },
      });
      return version;
    });
    const release = await this.#deps.releaser().release(env, app, actor, `secret ${name} set (version ${version})`);
    return { secret: { env, app, name, version, state: "set" }, release };
  }

  async unset(env: string, app: string, name: string, actor: string): Promise<SecretChange> {
    this.#deps.manifest.assertApp(env, app);
    if (this.#deps.manifest.required(env, app).includes(name)) {
      throw conflict(
        "secret_required",
        `${app} needs ${name} in ${env} (apps.${app}.secrets in rampart.yaml): unsetting it would fail its next start`,
        `remove ${name} from apps.${app}.secrets first, or replace its value: rampart secrets set ${app} ${name} --env ${env} < FILE`,
      );
    }
    await this.#deps.releaser().assertIdle(env, app);
    const version = await this.#deps.events.transact(async (trx, emit) => {
      const latest = await this.#deps.store.latestVersion(trx, env, app, name);
      if (!latest || latest.sealed === null)
        throw notFound(`secret ${name} of ${app} in ${env}`, `rampart secrets list ${app} --env ${env}`);
      const version = latest.version + 1;
      await this.#deps.store.insertVersion(trx, {
        env,
        app,
        name,
        version,
        sealed: null,
        created_by: actor,
        created_at: this.#deps.clock.now(),
      });
      await emit({
        env,
        app,
        actor,
        type: "secret.unset",
        message: `secret ${name} of ${app} in ${env} unset (version ${version})`,
        data: { name, version },
      });
      return version;
    });
    const release = await this.#deps.releaser().release(env, app, actor, `secret ${name} unset (version ${version})`);
    return { secret: { env, app, name, version, state: "unset" }, release };
  }

  async history(env: string, app: string, name: string): Promise<SecretVersionView[]> {
    this.#deps.manifest.assertApp(env, app);
    const rows = await this.#deps.store.history(env, app, name);
    if (rows.length === 0) throw notFound(`secret ${name} of ${app} in ${env}`, `rampart secrets list ${app} --env ${env}`);
    return rows.map((r) => ({ version: r.version, state: r.sealed === null ? "unset" : "set", by: r.created_by, at: r.created_at }));
  }

  /** The value itself: recorded as secret.revealed (who, which version), the value never is. */
  async reveal(
    env: string,
    app: string,
    name: string,
    actor: string,
    version?: number,
  ): Promise<{ name: string; version: number; value: string }> {
    this.#deps.manifest.assertApp(env, app);
    const row =
      version === undefined
        ? await this.#deps.store.latestVersion(this.#deps.db, env, app, name)
        : await this.#deps.store.version(env, app, name, version);
    if (!row || row.sealed === null)
      throw notFound(
        `secret ${name}${version === undefined ? "" : ` version ${version}`} of ${app} in ${env}`,
        `rampart secrets history ${app} ${name} --env ${env}`,
      );
    const value = this.#open(await this.#dataKey(this.#deps.db, env, false), row);
    await this.#deps.events.append({
      env,
      app,
      actor,
      type: "secret.revealed",
      message: `secret ${name} (version ${row.version}) of ${app} in ${env} revealed to ${actor}`,
      data: { name, version: row.version },
    });
    return { name, version: row.version, value };
  }

  async diff(a: string, b: string, app?: string): Promise<SecretDiff> {
    this.#deps.manifest.assertEnvironment(a);
    this.#deps.manifest.assertEnvironment(b);
    const current = async (env: string) =>
      new Map((await this.#deps.store.latest(env, app)).filter((r) => r.sealed !== null).map((r) => [`${r.app}\u0000${r.name}`, r]));
    const [left, right] = [await current(a), await current(b)];
    const keys = [...new Set([...left.keys(), ...right.keys()])].sort();
    return {
      a,
      b,
      entries: keys.map((key) => {
        const [appName = "", name = ""] = key.split("\u0000");
        return { app: appName, name, a: left.get(key)?.version ?? null, b: right.get(key)?.version ?? null };
      }),
    };
  }

  /**
   * The names and versions a new release of the app records: every secret currently set, after checking the
   * required ones are there and that each opens under today's key (a deploy fails now, not at instance start).
   */
  async versionsFor(env: string, app: string, required: readonly string[]): Promise<Record<string, number>> {
    const rows = (await this.#deps.store.latest(env, app)).filter((r) => r.sealed !== null);
    const missing = required.filter((name) => !rows.some((r) => r.name === name));
    if (missing.length > 0) {
      throw new RampartError(
        "secret_missing",
        `${app} needs secret${missing.length > 1 ? "s" : ""} ${missing.join(", ")} in ${env} (apps.${app}.secrets), not set there`,
        {
          hint: missing.map((name) => `rampart secrets set ${app} ${name} --env ${env} < FILE`).join("; "),
          details: { missing },
        },
      );
    }
    if (rows.length === 0) return {};
    await this.values({ env, app, versions: Object.fromEntries(rows.map((r) => [r.name, r.version])) });
    return Object.fromEntries(rows.map((r) => [r.name, r.version]));
  }

  /** Decrypts the values an instance starts with; throws secret_undecryptable naming the first that does not open. */
  async values(refs: { env: string; app: string; versions: Record<string, number> }): Promise<Record<string, string>> {
    const names = Object.keys(refs.versions).sort();
    if (names.length === 0) return {};
    const dataKey = await this.#dataKey(this.#deps.db, refs.env, false, `${refs.app}'s ${names.join(", ")}`);
    const values: Record<string, string> = {};
    for (const name of names) {
      const version = refs.versions[name] ?? 0;
      const row = await this.#deps.store.version(refs.env, refs.app, name, version);
      if (!row || row.sealed === null) {
        throw new RampartError(
          "secret_undecryptable",
          `secret ${name} version ${version} of ${refs.app} in ${refs.env} is not in the store`,
          {
            hint: `set it again: rampart secrets set ${refs.app} ${name} --env ${refs.env} < FILE`,
          },
        );
      }
      values[name] = this.#open(dataKey, row);
    }
    return values;
  }

  /** The current value of one secret, for Rampart's own use (a database URL for `db query`): not a reveal, not returned. */
  async currentValue(env: string, app: string, name: string): Promise<string> {
    const row = await this.#deps.store.latestVersion(this.#deps.db, env, app, name);
    if (!row || row.sealed === null)
      throw notFound(`secret ${name} of ${app} in ${env}`, `set it: rampart secrets set ${app} ${name} --env ${env} < FILE`);
    return this.#open(await this.#dataKey(this.#deps.db, env, false, `${app}'s ${name}`), row);
  }

  /** Rewraps every environment's data key under a new key-encryption key; the values themselves are not touched. */
  async rotateKey(actor: string): Promise<{ from: string; to: string; environments: string[] }> {
    let environments: string[] = [];
    const ids = await this.#deps.keyring.rotate(async (from, to) => {
      await this.#deps.events.transact(async (trx, emit) => {
        const rows = await this.#deps.store.dataKeys(trx);
        const now = this.#deps.clock.now();
        for (const row of rows) {
          const dataKey = this.#unwrap(row.env, row.wrapped, row.kek_id, from);
          await this.#deps.store.rewrapDataKey(trx, row.env, seal(to.key, dataKey, dataKeyAad(row.env)), to.id, now);
        }
        environments = rows.map((r) => r.env);
        await emit({
          actor,
          type: "secrets.key_rotated",
          message: `secrets key rotated (${from[0]?.id ?? "none"} → ${to.id}): data keys of ${environments.length} environment(s) rewrapped`,
          data: { from: from[0]?.id ?? null, to: to.id, environments },
        });
      });
    });
    return { ...ids, environments };
  }

  async #dataKey(trx: Db, env: string, create: boolean, what?: string): Promise<Buffer> {
    const row = await this.#deps.store.dataKey(env, trx);
    if (row) return this.#unwrap(env, row.wrapped, row.kek_id, this.#deps.keyring.candidates(), what);
    if (!create)
      throw new RampartError("secret_undecryptable", `no secret was ever set in ${env}`, {
        hint: "rampart secrets set APP KEY --env ENV < FILE",
      });
    const kek = this.#deps.keyring.current(true);
    if (!kek) throw new Error("unreachable: current(true) creates the key");
    const dataKey = newKey();
    await this.#deps.store.insertDataKey(trx, {
      env,
      wrapped: seal(kek.key, dataKey, dataKeyAad(env)),
      kek_id: kek.id,
      created_at: this.#deps.clock.now(),
      rotated_at: null,
    });
    return dataKey;
  }

  #unwrap(env: string, wrapped: string, kekId: string, keys: Kek[], what?: string): Buffer {
    const kek = keys.find((k) => k.id === kekId);
    const subject = `the secrets of ${env}${what ? ` (${what})` : ""}`;
    if (!kek) {
      const have =
        keys.length === 0 ? `there is no key at ${this.#deps.keyring.describe()}` : `${keys[0]?.origin} holds key ${keys[0]?.id}`;
      throw new RampartError("secret_undecryptable", `cannot decrypt ${subject}: they are encrypted under key ${kekId}, but ${have}`, {
        hint: `restore the key file with id ${kekId} from your backup to ${this.#deps.keyring.describe()} (or set RAMPART_SECRETS_KEY), restart rampart up; no instance is started without its secrets`,
      });
    }
    try {
      return open(kek.key, wrapped, dataKeyAad(env));
    } catch {
      throw new RampartError(
        "secret_undecryptable",
        `cannot decrypt ${subject}: the data key stored for ${env} does not open under key ${kek.id} (changed or copied from elsewhere)`,
        {
          hint: "restore the data dir from a backup taken with this key",
        },
      );
    }
  }

  #open(dataKey: Buffer, row: SecretVersionRow): string {
    if (row.sealed === null) throw new Error("unreachable: a tombstone has no value");
    try {
      return open(dataKey, row.sealed, valueAad(row.env, row.app, row.name, row.version)).toString("utf8");
    } catch {
      throw new RampartError(
        "secret_undecryptable",
        `cannot decrypt secret ${row.name} version ${row.version} of ${row.app} in ${row.env}: its ciphertext does not open under the ${row.env} data key (changed or moved)`,
        { hint: `set it again: rampart secrets set ${row.app} ${row.name} --env ${row.env} < FILE` },
      );
    }
  }
}
