import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ManifestSource } from "../config/manifest-source.ts";
import { openDatabase, type OpenedDatabase } from "../db/database.ts";
import { platformMigrations } from "../platform/migrations.ts";
import { EventLog } from "../events/event-log.ts";
import type { Clock } from "../shared/clock.ts";
import { createFlags, type Flags } from "./flags.module.ts";

export interface FakeClock extends Clock {
  advance(ms: number): void;
}

export function fakeClock(start = Date.UTC(2026, 0, 1)): FakeClock {
  let t = start;
  return { now: () => t, advance: (ms) => (t += ms) };
}

export interface FlagsFixture extends Flags {
  clock: FakeClock;
  events: EventLog;
  database: OpenedDatabase;
  close(): Promise<void>;
}

/** The flags capability over a fresh SQLite store, with staging (open) and production (protected), and a fake clock. */
export async function flagsFixture(): Promise<FlagsFixture> {
  const dir = mkdtempSync(join(tmpdir(), "rampart-flags-"));
  writeFileSync(
    join(dir, "rampart.yaml"),
    [
      "name: t",
      "environments:",
      "  staging: { port: 18081 }",
      "  production: { port: 18080, protected: true }",
      "apps:",
      "  web:",
      "    source: ./web",
      "    run: node server.js",
    ].join("\n"),
  );
  const database = await openDatabase(join(dir, "data"), platformMigrations);
  const clock = fakeClock();
  const events = new EventLog(database.db, clock);
  const flags = createFlags({ db: database.db, events, clock, manifests: new ManifestSource(join(dir, "rampart.yaml")) });
  return {
    ...flags,
    clock,
    events,
    database,
    close: async () => {
      await flags.engine.stop();
      await database.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
