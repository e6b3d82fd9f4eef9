import type { ManifestSource } from "../config/manifest-source.ts";
import type { Db } from "../db/database.ts";
import type { EventLog } from "../events/event-log.ts";
import type { Module } from "../platform/module.ts";
import type { Clock } from "../shared/clock.ts";
import { RampartError } from "../shared/errors.ts";
import { DbQueryService } from "./db-query.service.ts";
import { SecretKeyring } from "./secret-keyring.ts";
import { secretRoutes } from "./secret.routes.ts";
import { type SecretReleaser, SecretService } from "./secret.service.ts";
import { SecretStore } from "./secret.store.ts";
import { secretsMigration } from "./secrets.migration.ts";

/** Migrations secrets registers (name and order as released). */
export const secretsMigrations = { "0009_secrets": secretsMigration };

export interface Secrets extends Module {
  service: SecretService;
  keyring: SecretKeyring;
}

export interface SecretsDeps {
  db: Db;
  events: EventLog;
  clock: Clock;
  manifests: ManifestSource;
  /** The releases capability, created after this one. */
  releaser(): SecretReleaser;
  /** Where the key settings are read (process.env in `rampart up`). */
  env?: Record<string, string | undefined>;
}

/** Encrypted, versioned secrets per app and environment; a change is a release (through `releaser`). */
export function createSecrets(deps: SecretsDeps): Secrets {
  const keyring = new SecretKeyring({ env: deps.env ?? process.env });
  const { manifests } = deps;
  const service = new SecretService({
    db: deps.db,
    store: new SecretStore(deps.db),
    events: deps.events,
    clock: deps.clock,
    keyring,
    manifest: {
      assertApp: (env, app) => manifests.assertApp(env, app),
      assertEnvironment: (env) => {
        const { environments, path } = manifests.current;
        if (!Object.hasOwn(environments, env))
          throw new RampartError("unknown_environment", `environment "${env}" is not in ${path}`, {
            hint: `environments: ${Object.keys(environments).join(", ")}`,
          });
      },
      required: (env, app) => manifests.resolve(manifests.current, app, env).secrets ?? [],
    },
    releaser: deps.releaser,
  });
  const dbQuery = new DbQueryService({
    config: (env, app) => manifests.resolve(manifests.current, app, env),
    secrets: service,
    events: deps.events,
    clock: deps.clock,
  });
  return { name: "secrets", service, keyring, routes: secretRoutes(service, dbQuery) };
}
