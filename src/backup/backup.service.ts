import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Db } from "../db/database.ts";
import type { EventLog } from "../events/event-log.ts";
import type { Clock } from "../shared/clock.ts";
import { errorMessage, RampartError } from "../shared/errors.ts";
import { fileSha256, snapshotDataDir, tar } from "./backup-archive.ts";
import { BACKUP_NAME, type BackupView, backupViewSchema } from "./backup.types.ts";

/** rampart.yaml `backups:`, resolved. */
export interface BackupSettings {
  /** Absolute; DATA/backups when not set. */
  dir: string | null;
  everyMs: number | null;
  keep: number | null;
}

export interface BackupDeps {
  db: Db;
  events: EventLog;
  clock: Clock;
  dataDir: string;
  version: string;
  settings: () => BackupSettings | null;
}

/**
 * Online, consistent backups of the platform's state into one `.tar.gz` with a manifest of checksums
 * (docs/backup.md). One runs at a time; a second waits for the first rather than copying the database twice at once.
 */
export class BackupService {
  readonly #deps: BackupDeps;
  #running: Promise<unknown> = Promise.resolve();

  constructor(deps: BackupDeps) {
    this.#deps = deps;
  }

  get dir(): string {
    return this.#deps.settings()?.dir ?? join(this.#deps.dataDir, "backups");
  }

  create(actor: string, scheduled = false): Promise<BackupView> {
    const next = this.#running.then(() => this.#create(actor, scheduled));
    this.#running = next.catch(() => undefined);
    return next;
  }

  /** Resolves once the backup under way (if any) has ended: the platform stops only then, before closing the database. */
  async idle(): Promise<void> {
    await this.#running;
  }

  list(): BackupView[] {
    if (!existsSync(this.dir)) return [];
    return readdirSync(this.dir)
      .filter((name) => BACKUP_NAME.test(name) && existsSync(join(this.dir, `${name}.json`)))
      .sort()
      .flatMap((name) => {
        const parsed = backupViewSchema.safeParse(safeJson(readFileSync(join(this.dir, `${name}.json`), "utf8")));
        return parsed.success ? [parsed.data] : [];
      });
  }

  /** The archive's path, for the download route; only names this service made. */
  pathOf(name: string): string {
    const path = join(this.dir, name);
    if (!BACKUP_NAME.test(name) || !existsSync(path))
      throw new RampartError("not_found", `backup ${name} not found in ${this.dir}`, { hint: "rampart backup --list shows the backups" });
    return path;
  }

  async #create(actor: string, scheduled: boolean): Promise<BackupView> {
    const dir = this.dir;
    const createdAt = this.#deps.clock.now();
    const started = performance.now();
    const name = `rampart-backup-${new Date(createdAt)
      .toISOString()
      .replace(/[:.]/g, "")
      .replace(/\d{3}Z$/, "Z")}-${randomBytes(3).toString("hex")}.tar.gz`;
    const staging = join(dir, `.${name}.staging`);
    const partial = join(dir, `.${name}.partial`);
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      const content = await snapshotDataDir(this.#deps.db, this.#deps.dataDir, staging);
      const manifest = { ...content, createdAt, rampartVersion: this.#deps.version };
      writeFileSync(join(staging, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
      await tar(["-czf", partial, "-C", staging, "."]);
      const path = join(dir, name);
      renameSync(partial, path);
      const { bytes, sha256 } = fileSha256(path);
      const view: BackupView = {
        name,
        path,
        bytes,
        sha256,
        createdAt,
        lastEventId: manifest.lastEventId,
        files: manifest.files.length,
        scheduled,
        durationMs: Math.round(performance.now() - started),
      };
      writeFileSync(`${path}.json`, `${JSON.stringify(view)}\n`, { mode: 0o600 });
      const removed = this.#prune();
      await this.#deps.events.append({
        type: "backup.created",
        message: `backup ${name}: ${manifest.files.length} files, ${bytes} bytes, up to event ${manifest.lastEventId ?? "none"}`,
        data: { ...view, removed },
        actor,
      });
      return view;
    } catch (error) {
      const reason = errorMessage(error);
      removeQuietly(partial);
      await this.#deps.events
        .append({ type: "backup.failed", message: `backup into ${dir} failed: ${reason}`, data: { dir, reason, scheduled }, actor })
        .catch(() => undefined);
      throw new RampartError("backup_failed", `the backup into ${dir} failed: ${reason}`, {
        hint: "check the backups dir exists, is writable and has room (df -h), then run rampart backup again",
      });
    } finally {
      removeQuietly(staging);
    }
  }

  /** Retention: the newest `keep` backups stay; returns the names removed. */
  #prune(): string[] {
    const keep = this.#deps.settings()?.keep;
    if (!keep) return [];
    const names = this.list().map((b) => b.name);
    const removed = names.slice(0, Math.max(0, names.length - keep));
    for (const name of removed) {
      rmSync(join(this.dir, name), { force: true });
      rmSync(join(this.dir, `${name}.json`), { force: true });
    }
    return removed;
  }

  /** When the next scheduled backup is due: `every` after the newest backup, or now when there is none. */
  nextDue(): number | null {
    const every = this.#deps.settings()?.everyMs;
    if (!every) return null;
    const newest = this.list().at(-1);
    return newest ? newest.createdAt + every : this.#deps.clock.now();
  }
}

/** Cleanup after a failure must not hide it (the path may not even be reachable: the dir is a file). */
function removeQuietly(path: string): void {
  try {
    rmSync(path, { recursive: true, force: true });
  } catch {
    // Nothing of ours is there.
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
