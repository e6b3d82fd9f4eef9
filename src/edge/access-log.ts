import { closeSync, fstatSync, mkdirSync, openSync, readdirSync, renameSync, statSync, unlinkSync, write } from "node:fs";
import { join } from "node:path";
import type { CompiledEnvironment, CompiledTable } from "./compiled-table.ts";
import type { RoutingTable } from "./routing-table.types.ts";

/**
 * The edge's access log, per environment (`environments.<env>.access_log`): one JSON line per request. Each
 * worker appends to its own file (`access-<pid>.log` in the environment's directory), so workers never share
 * a file offset or a rotation; `rampart logs --edge` merges them by time. Lines are gathered in memory and
 * written at most every second or every 64 kB, whichever comes first, with one write() off the event loop's
 * thread; a write in progress never blocks a request. What a killed worker had not written yet (≤ 1 s) is lost.
 * A file over `maxBytes` is renamed `access-<pid>-<ms>.log`; the oldest renamed files beyond `keep` are deleted.
 */

export interface AccessEntry {
  startedAtMs: number;
  requestId: string;
  method: string;
  host: string | undefined;
  /** Without the query string: queries carry tokens and personal data more often than paths. */
  path: string;
  status: number;
  bytes: number;
  durationMs: number;
  upstreamMs: number | null;
  app: string;
  release: number;
  instance: string;
  client: string;
  subject: string | undefined;
}

const FLUSH_BYTES = 64 * 1024;
const FLUSH_MS = 1_000;
const CURRENT = /^access-(\d+)\.log$/;
const ROTATED = /^access-\d+-\d+\.log$/;

export class AccessLog {
  private byEnv = new WeakMap<CompiledEnvironment, EnvAccessLog>();
  private byDir = new Map<string, EnvAccessLog>();

  configure(compiled: CompiledTable, table: RoutingTable): void {
    const byEnv = new WeakMap<CompiledEnvironment, EnvAccessLog>();
    const byDir = new Map<string, EnvAccessLog>();
    for (const env of compiled.environments) {
      const settings = table.environments.find((e) => e.name === env.name)?.accessLog ?? null;
      if (settings === null) continue;
      const log = this.byDir.get(settings.dir) ?? new EnvAccessLog(settings.dir);
      log.maxBytes = settings.maxBytes;
      log.keep = settings.keep;
      byEnv.set(env, log);
      byDir.set(settings.dir, log);
    }
    for (const [dir, log] of this.byDir) if (!byDir.has(dir)) log.close();
    this.byEnv = byEnv;
    this.byDir = byDir;
  }

  /** The environment's log, or undefined when it keeps none (the hot path's one lookup). */
  of(env: CompiledEnvironment): EnvAccessLog | undefined {
    return this.byEnv.get(env);
  }

  /** Writes what is buffered (edge shutdown). */
  async close(): Promise<void> {
    await Promise.all([...this.byDir.values()].map((log) => log.close()));
  }
}

export class EnvAccessLog {
  readonly dir: string;
  maxBytes = 64 * 1024 * 1024;
  keep = 5;
  private pending = "";
  private fd: number | undefined;
  private size = 0;
  private writing = false;
  private timer: NodeJS.Timeout | undefined;
  private idle: (() => void) | undefined;
  private failed = false;

  constructor(dir: string) {
    this.dir = dir;
  }

  record(e: AccessEntry): void {
    this.pending += formatEntry(e);
    if (this.pending.length >= FLUSH_BYTES) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), FLUSH_MS).unref();
  }

  /** Resolves once everything recorded so far is written. */
  close(): Promise<void> {
    this.flush();
    if (!this.writing) {
      this.closeFile();
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.idle = () => {
        this.closeFile();
        resolve();
      };
    });
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.writing || this.pending.length === 0) return;
    const fd = this.open();
    if (fd === undefined) {
      this.pending = "";
      return;
    }
    const data = Buffer.from(this.pending);
    this.pending = "";
    this.writing = true;
    write(fd, data, 0, data.length, null, (error) => {
      this.writing = false;
      if (error !== null) this.complain(`could not write the access log in ${this.dir}: ${error.message}`);
      else this.size += data.length;
      if (this.size >= this.maxBytes) this.rotate();
      if (this.pending.length >= FLUSH_BYTES) this.flush();
      else if (this.pending.length > 0) this.timer ??= setTimeout(() => this.flush(), FLUSH_MS).unref();
      else if (this.idle !== undefined) {
        const idle = this.idle;
        this.idle = undefined;
        idle();
      }
    });
  }

  private open(): number | undefined {
    if (this.fd !== undefined) return this.fd;
    try {
      mkdirSync(this.dir, { recursive: true, mode: 0o700 });
      retireDeadWorkers(this.dir);
      this.fd = openSync(join(this.dir, `access-${process.pid}.log`), "a", 0o600);
      this.size = fstatSync(this.fd).size;
      this.failed = false;
      return this.fd;
    } catch (error) {
      this.complain(`could not open the access log in ${this.dir}: ${error instanceof Error ? error.message : String(error)}`);
      return undefined;
    }
  }

  private rotate(): void {
    this.closeFile();
    try {
      renameSync(join(this.dir, `access-${process.pid}.log`), join(this.dir, `access-${process.pid}-${Date.now()}.log`));
      prune(this.dir, this.keep);
    } catch (error) {
      this.complain(`could not rotate the access log in ${this.dir}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  private closeFile(): void {
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
    this.size = 0;
  }

  /** Once per failure streak: a full disk must not flood the edge's own log. */
  private complain(line: string): void {
    if (this.failed) return;
    this.failed = true;
    process.stderr.write(`edge: ${line}; requests are served but not logged\n`);
  }
}

/** One JSON line; strings a client chose (method, host, path, subject) go through JSON.stringify, the rest are ours. */
export function formatEntry(e: AccessEntry): string {
  return (
    `{"time":"${new Date(e.startedAtMs).toISOString()}","request_id":${JSON.stringify(e.requestId)},"method":${JSON.stringify(e.method)},` +
    `"host":${e.host === undefined ? "null" : JSON.stringify(e.host)},"path":${JSON.stringify(e.path)},"status":${e.status},` +
    `"bytes":${e.bytes},"duration_ms":${round(e.durationMs)},"upstream_ms":${e.upstreamMs === null ? "null" : round(e.upstreamMs)},` +
    `"app":${JSON.stringify(e.app)},"release":${e.release},"instance":${JSON.stringify(e.instance)},"client":${JSON.stringify(e.client)},` +
    `"subject":${e.subject === undefined ? "null" : JSON.stringify(e.subject)}}\n`
  );
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

/** A worker that died left its current file: it becomes a rotated one (so pruning counts it). */
function retireDeadWorkers(dir: string): void {
  for (const name of readdirSync(dir)) {
    const match = CURRENT.exec(name);
    if (match === null) continue;
    const pid = Number(match[1]);
    if (pid === process.pid || alive(pid)) continue;
    try {
      renameSync(join(dir, name), join(dir, `access-${pid}-${Date.now()}.log`));
    } catch {
      // Another worker retired it first.
    }
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function prune(dir: string, keep: number): void {
  const rotated = readdirSync(dir)
    .filter((name) => ROTATED.test(name))
    .map((name) => ({ name, mtime: safeMtime(join(dir, name)) }))
    .sort((a, b) => b.mtime - a.mtime);
  for (const file of rotated.slice(keep)) {
    try {
      unlinkSync(join(dir, file.name));
    } catch {
      // Another worker pruned it.
    }
  }
}

function safeMtime(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}
