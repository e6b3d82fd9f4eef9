import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase, type OpenedDatabase } from "../db/database.ts";
import { EventLog } from "../events/event-log.ts";
import { fakeClock, type FakeClock } from "../flags/flag.fixture.ts";
import { eventlessTables, platformMigrations } from "../platform/migrations.ts";
import { type Access, type AccessDeps, createAccess } from "./access.module.ts";
import type { CallerCredentials } from "./caller.ts";

export const LOCAL_TOKEN = "local-credentials-token-0123456789abcdef";

export interface AccessFixture extends Access {
  clock: FakeClock;
  events: EventLog;
  database: OpenedDatabase;
  /** Credentials of a request with this bearer token. */
  bearer(secret: string, address?: string): CallerCredentials;
  close(): Promise<void>;
}

/** The access capability over a fresh SQLite store (every write audited for its event), with a fake clock. */
export async function accessFixture(
  options: Partial<Pick<AccessDeps, "sessionTimeouts" | "throttle" | "argon2" | "verifyPassword" | "timedGrants">> = {},
): Promise<AccessFixture> {
  const dir = mkdtempSync(join(tmpdir(), "rampart-access-"));
  const database = await openDatabase(dir, platformMigrations, { audit: { eventless: eventlessTables } });
  const clock = fakeClock(Date.UTC(2026, 11, 5, 12));
  const events = new EventLog(database.db, clock);
  const access = createAccess({ db: database.db, events, clock, localToken: () => LOCAL_TOKEN, ...options });
  return {
    ...access,
    clock,
    events,
    database,
    bearer: (secret, address = "127.0.0.1") => ({ authorization: `Bearer ${secret}`, cookie: undefined, address, tls: false }),
    async close() {
      await database.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
