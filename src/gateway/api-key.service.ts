import { createHash, randomBytes, randomUUID } from "node:crypto";
import type { EventLog } from "../events/event-log.ts";
import type { Clock } from "../shared/clock.ts";
import { RampartError, conflict, notFound } from "../shared/errors.ts";
import type { ApiKeyStore } from "./api-key.store.ts";
import { API_KEY_NAME, type ApiKey, type CreatedApiKey } from "./api-key.types.ts";

/** The edge tells API keys from JWTs by this prefix (src/edge/gateway-auth.ts API_KEY_PREFIX). */
const KEY_PREFIX = "rk_";

export interface ApiKeyServiceDeps {
  store: ApiKeyStore;
  events: EventLog;
  clock: Clock;
  /** After a key is made or revoked: push a routing table, so the edge takes or refuses it within a second. */
  changed(): Promise<void>;
}

/**
 * API keys for apps behind the edge's authentication (`auth: { api_keys: true }`). A key is 32 random bytes shown
 * once; the platform keeps its SHA-256 (a key has 256 bits of entropy, so an unsalted fast hash is enough: there is
 * nothing to guess), and the edge gets only the hashes of the active keys in the routing table.
 */
export class ApiKeyService {
  readonly #deps: ApiKeyServiceDeps;

  constructor(deps: ApiKeyServiceDeps) {
    this.#deps = deps;
  }

  async create(env: string, app: string, actor: string, name?: string): Promise<CreatedApiKey> {
    const keyName = name ?? `key-${randomBytes(3).toString("hex")}`;
    if (!API_KEY_NAME.test(keyName))
      throw new RampartError("invalid_request", `API key name ${JSON.stringify(keyName)} is not valid: use a-z, 0-9, . _ - (up to 63)`, {
        hint: `rampart apikeys create ${app} --env ${env} --name ci`,
        details: [{ field: "body.name", message: "a-z, 0-9, . _ - (up to 63 characters)" }],
      });
    const key = `${KEY_PREFIX}${randomBytes(32).toString("base64url")}`;
    const record: ApiKey = {
      id: randomUUID(),
      env,
      app,
      name: keyName,
      createdBy: actor,
      createdAt: this.#deps.clock.now(),
      revokedAt: null,
      revokedBy: null,
    };
    await this.#deps.events.transact(async (trx, emit) => {
      const active = (await this.#deps.store.list(env, app, trx)).filter((k) => k.revokedAt === null);
      if (active.some((k) => k.name === keyName))
        throw conflict(
          "api_key_exists",
          `${app} already has an active API key named ${keyName} in ${env}`,
          `revoke it first: rampart apikeys revoke ${app} ${keyName} --env ${env}, or pick another --name`,
        );
      await this.#deps.store.insert(trx, record, createHash("sha256").update(key).digest("hex"));
      await emit({
        type: "apikey.created",
        env,
        app,
        actor,
        message: `${actor} created API key ${keyName} for ${app} in ${env}`,
        data: { id: record.id, name: keyName },
      });
    });
    await this.#deps.changed();
    return { apiKey: record, key };
  }

  list(env: string, app: string): Promise<ApiKey[]> {
    return this.#deps.store.list(env, app);
  }

  /** Revokes the active key with this name (or id); the edge refuses it once the next table is pushed (at once). */
  async revoke(env: string, app: string, nameOrId: string, actor: string): Promise<ApiKey> {
    const revoked = await this.#deps.events.transact(async (trx, emit) => {
      const key = (await this.#deps.store.list(env, app, trx)).find(
        (k) => k.revokedAt === null && (k.name === nameOrId || k.id === nameOrId),
      );
      if (key === undefined) throw notFound(`active API key ${nameOrId} of ${app} in ${env}`, `rampart apikeys list ${app} --env ${env}`);
      const at = this.#deps.clock.now();
      await this.#deps.store.revoke(trx, key.id, at, actor);
      await emit({
        type: "apikey.revoked",
        env,
        app,
        actor,
        message: `${actor} revoked API key ${key.name} of ${app} in ${env}`,
        data: { id: key.id, name: key.name },
      });
      return { ...key, revokedAt: at, revokedBy: actor };
    });
    await this.#deps.changed();
    return revoked;
  }

  activeHashes(env: string, app: string): Promise<{ id: string; sha256: string }[]> {
    return this.#deps.store.activeHashes(env, app);
  }
}
