import { join } from "node:path";
import type { Db } from "../db/database.ts";
import type { EventLog } from "../events/event-log.ts";
import type { Module } from "../platform/module.ts";
import type { Clock } from "../shared/clock.ts";
import { RampartError } from "../shared/errors.ts";
import { apiKeyMigration } from "./api-key.migration.ts";
import { ApiKeyService } from "./api-key.service.ts";
import { ApiKeyStore } from "./api-key.store.ts";
import { readAccessLog } from "./edge-log.reader.ts";
import { gatewayRoutes } from "./gateway.routes.ts";

/** Migrations the gateway capability registers. */
export const gatewayMigrations = { "0021_api_keys": apiKeyMigration };

export interface GatewayDeps {
  db: Db;
  events: EventLog;
  clock: Clock;
  assertApp(env: string, app: string): void;
  environments(): string[];
  /** DATA/logs/edge-access: one directory per environment (src/traffic/traffic.module.ts accessLogRoot). */
  accessLogRoot: string;
  /** Pushes a routing table to the edge (after an API key change). */
  applyRouting(): Promise<void>;
}

export interface Gateway extends Module {
  keys: ApiKeyService;
}

/** Authentication at the edge, the control-plane side: API keys (the edge gets their hashes) and the access log's reader. */
export function createGateway(deps: GatewayDeps): Gateway {
  const keys = new ApiKeyService({ store: new ApiKeyStore(deps.db), events: deps.events, clock: deps.clock, changed: deps.applyRouting });
  const assertEnv = (env: string): void => {
    if (!deps.environments().includes(env))
      throw new RampartError("unknown_environment", `environment ${env} is not in rampart.yaml`, {
        hint: `one of: ${deps.environments().join(", ")}`,
      });
  };
  return {
    name: "gateway",
    keys,
    routes: gatewayRoutes({
      keys,
      assertApp: deps.assertApp,
      assertEnv,
      edgeLog: (env, options) => readAccessLog(join(deps.accessLogRoot, env), options),
    }),
  };
}
