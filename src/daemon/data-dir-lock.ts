import { z } from "zod";
import { createHash, randomBytes } from "node:crypto";
import { closeSync, fsyncSync, linkSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from "node:fs";
import { join } from "node:path";
import { isSameProcess, readProcessStartTime } from "../runtime/process-info.ts";
import { RampartError } from "../shared/errors.ts";

interface Holder {
  pid: number;
  pidStart: string;
}

/** What a lock file holds when looked at: its owner if it names one, and an identity for the takeover marker. */
interface Seen {
  holder: Holder | null;
  identity: string;
  /** A lock created by `open(wx)` (no hard links here) is empty until its owner writes it: not stale yet. */
  young: boolean;
}

const TRIES = 200;
// A lock file still empty after this long was left by a process that died between create and write.
const EMPTY_GRACE_MS = 5_000;

/**
 * One control plane per data dir: two would fight over the same instances. The lock file names a pid and its
 * start time; it is created only if absent (a hard link of a fully written temp file: link(2) fails when the
 * name exists), so of any number of `rampart up` started together exactly one wins.
 *
 * A lock whose owner is gone (pid dead, or recycled: its start time differs) is stale. Removing it must not race
 * with a second process doing the same and deleting the lock the first has meanwhile created: the remover first
 * creates a takeover marker named after that very lock file (inode + content) with O_EXCL, then checks the file
 * is still the stale one, and only then renames it away. Only the marker's holder can remove that file, and no
 * new lock can appear while it exists, so the check and the rename cannot be overtaken.
 */
export function lockDataDir(dataDir: string): () => void {
  const path = join(dataDir, "control-plane.lock");
  const self: Holder = { pid: process.pid, pidStart: readProcessStartTime(process.pid) ?? "unknown" };
  const text = JSON.stringify(self);
  for (let attempt = 0; attempt < TRIES; attempt++) {
    if (createExclusive(path, text)) return () => release(path, text);
    const seen = look(path);
    if (seen === null) continue; // released meanwhile: try again
    if (seen.holder !== null && isSameProcess(seen.holder.pid, seen.holder.pidStart)) {
      throw new RampartError("already_running", `another rampart up (pid ${seen.holder.pid}) is running on ${dataDir}`, {
        hint: `use that one (rampart status --data ${dataDir}), or stop it first (rampart down --data ${dataDir})`,
      });
    }
    if (seen.young) {
      pause(10);
      continue;
    }
    removeStale(path, seen);
  }
  throw new RampartError("lock_contended", `could not take the data dir lock ${path}: it kept changing hands`, {
    hint: "another rampart up is starting or stopping on this data dir: run `rampart status` and try again",
  });
}

function createExclusive(path: string, text: string): boolean {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  writeSynced(tmp, text, "wx");
  try {
    linkSync(tmp, path);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EEXIST") return false;
    // A filesystem without hard links: O_EXCL create, then write (readers treat the empty moment as young).
    if (code === "EPERM" || code === "ENOTSUP" || code === "EOPNOTSUPP" || code === "EXDEV") return createWithOpen(path, text);
    throw error;
  } finally {
    rmSync(tmp, { force: true });
  }
}

function createWithOpen(path: string, text: string): boolean {
  try {
    writeSynced(path, text, "wx");
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  }
}

function writeSynced(path: string, text: string, flags: string): void {
  const fd = openSync(path, flags, 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function look(path: string): Seen | null {
  let content: string;
  let ino: number;
  let mtimeMs: number;
  try {
    ({ ino, mtimeMs } = statSync(path));
    content = readFileSync(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
  const identity = createHash("sha256").update(`${ino}\n${content}`).digest("hex").slice(0, 24);
  return { holder: parseHolder(content), identity, young: content === "" && Date.now() - mtimeMs < EMPTY_GRACE_MS };
}

const holderSchema = z.object({ pid: z.number().int(), pidStart: z.string() });

function parseHolder(content: string): Holder | null {
  try {
    const parsed = holderSchema.safeParse(JSON.parse(content));
    return parsed.success ? parsed.data : null;
  } catch {
    return null; // empty, torn or an old "{}": nobody holds it
  }
}

function removeStale(path: string, seen: Seen): void {
  const marker = `${path}.takeover-${seen.identity}`;
  // Created as the lock is (a link of a written file), so no one ever reads it empty and takes its taker for dead.
  if (!createExclusive(marker, String(process.pid))) {
    // Another process is removing this stale lock; its marker goes once the file is gone (or it died: see below).
    if (look(path)?.identity !== seen.identity) return;
    if (markerOwnerGone(marker)) {
      // Removing it here could race with a second process doing the same; a person can tell that nothing runs.
      throw new RampartError("lock_stuck", `${marker} was left by a process killed while it took over a stale lock`, {
        hint: `check that no rampart up runs on this data dir (rampart status), remove ${marker}, then start again`,
      });
    }
    pause(5);
    return;
  }
  try {
    // Under the marker, only we may remove the file that has this identity, and nothing else can replace it.
    if (look(path)?.identity === seen.identity) {
      const aside = `${path}.stale-${process.pid}-${randomBytes(4).toString("hex")}`;
      renameSync(path, aside);
      rmSync(aside, { force: true });
    }
  } finally {
    rmSync(marker, { force: true });
  }
}

/** A marker whose owner died (killed in the microseconds of a takeover) would block the takeover for ever. */
function markerOwnerGone(marker: string): boolean {
  try {
    const content = readFileSync(marker, "utf8");
    // Empty only on a filesystem without hard links, between its create and write: its taker is alive at first.
    if (content === "") return Date.now() - statSync(marker).mtimeMs >= EMPTY_GRACE_MS;
    const pid = Number(content);
    return !(pid > 0) || readProcessStartTime(pid) === null;
  } catch {
    return false;
  }
}

function release(path: string, text: string): void {
  // Only our own lock: never remove one a successor took over after this process was presumed gone.
  try {
    if (readFileSync(path, "utf8") === text) rmSync(path, { force: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));
/** The lock is taken once at start-up, synchronously; a short wait while another process finishes its step. */
function pause(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}
