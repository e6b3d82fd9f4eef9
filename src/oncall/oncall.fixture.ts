import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase } from "../db/database.ts";
import { EventLog } from "../events/event-log.ts";
import { eventlessTables, platformMigrations } from "../platform/migrations.ts";
import { FakeClock } from "../shared/fake-clock.ts";
import type { Page, Pager } from "./escalation.types.ts";
import { createOncall, type Oncall } from "./oncall.module.ts";
import { type OncallFile, oncallFileSchema } from "./oncall.schema.ts";

/** A pager that records pages (and fails for the people in `failing`). */
export class RecordingPager implements Pager {
  readonly pages: Page[] = [];
  readonly failing = new Set<string>();

  async page(page: Page): Promise<void> {
    this.pages.push(page);
    if (this.failing.has(page.user)) throw new Error(`${page.user}'s webhook answered 500`);
  }
}

/** On-call over a real database (the event audit checks every write has its event), a fake clock and pager. */
export async function oncallWorld(manifest: unknown, start = Date.parse("2026-03-28T12:00:00Z")) {
  const dir = mkdtempSync(join(tmpdir(), "rampart-oncall-"));
  const opened = await openDatabase(dir, platformMigrations, { audit: { eventless: eventlessTables } });
  const clock = new FakeClock(start);
  const events = new EventLog(opened.db, clock);
  const pager = new RecordingPager();
  let file: OncallFile = oncallFileSchema.parse(manifest);
  const oncall: Oncall = createOncall({ db: opened.db, events, clock, oncall: () => file, alerts: () => undefined, pager });
  return {
    oncall,
    clock,
    events,
    pager,
    reload: (next: unknown) => {
      file = oncallFileSchema.parse(next);
    },
    close: async () => {
      await opened.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
