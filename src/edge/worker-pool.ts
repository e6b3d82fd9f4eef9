import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { PutTableResult } from "./edge-control.types.ts";
import type { PrimaryMessage, WorkerMessage, WorkerStats } from "./edge-ipc.types.ts";
import type { RoutingTable } from "./routing-table.types.ts";
import { StatsAccumulator, sumInflight } from "./stats-merge.ts";

const WORKER_MAIN = fileURLToPath(new URL("./edge-worker.ts", import.meta.url));
/** A worker that dies this soon after starting is crash-looping: wait before the next restart. */
const CRASH_LOOP_MS = 1_000;
const APPLY_TIMEOUT_MS = 10_000;

interface Worker {
  readonly child: ChildProcess;
  readonly startedAt: number;
  /** True once it said hello and was sent the table. */
  ready: boolean;
  /** Its in-flight counts as of its last stats answer (used when it is late to answer). */
  inflight: Record<string, number>;
  served: number;
  readonly waiting: Map<number, (message: WorkerMessage | undefined) => void>;
}

/**
 * The primary's workers: forks them, restarts one that dies (the others keep serving meanwhile), sends
 * tables, and collects and merges their measurements. The primary never touches a client connection.
 */
export class WorkerPool {
  private readonly size: number;
  private readonly workers = new Set<Worker>();
  private readonly accumulator = new StatsAccumulator();
  private table: RoutingTable | undefined;
  private seq = 0;
  private stopping = false;
  private last: PutTableResult = { version: 0, listening: [], errors: [] };
  restarts = 0;

  /** The control socket, told to workers so that, orphaned, they can wait for the next edge (edge-worker.ts). */
  private readonly socketPath: string | undefined;

  constructor(size: number, socketPath?: string) {
    this.size = Math.max(1, size);
    this.socketPath = socketPath;
  }

  /** Forks the workers and resolves when each has applied the table it was given (if any). */
  async start(table: RoutingTable | undefined): Promise<PutTableResult> {
    this.table = table;
    const results = await Promise.all(Array.from({ length: this.size }, () => this.spawn()));
    this.last = mergeResults(table?.version ?? 0, results);
    return this.last;
  }

  /** Sends the table to every worker; listening is what all of them bound, errors what any of them hit. */
  async applyTable(table: RoutingTable): Promise<PutTableResult> {
    this.table = table;
    const ready = [...this.workers].filter((w) => w.ready);
    const results = (await Promise.all(ready.map((w) => this.applyTo(w, table)))).filter((r) => r !== undefined);
    this.last = mergeResults(table.version, results);
    return this.last;
  }

  /** The merged answer of the last table application. */
  currentResult(): PutTableResult {
    return this.last;
  }

  /** Asks every worker for its measurements; a worker late to answer adds its share to the next call. */
  async collect(timeoutMs: number): Promise<Omit<WorkerStats, "served">> {
    const seq = ++this.seq;
    await Promise.all([...this.workers].map((w) => this.request(w, { type: "collect", seq }, timeoutMs)));
    const folded = this.accumulator.take();
    const baseline = this.table === undefined ? [] : instanceIds(this.table);
    return {
      ...folded,
      inflight: sumInflight(
        baseline,
        [...this.workers].map((w) => w.inflight),
      ),
    };
  }

  /** What every worker has in flight now, without collecting (and so resetting) their measurements. */
  async inflight(timeoutMs: number): Promise<Record<string, number>> {
    const seq = ++this.seq;
    // Each answer updates its worker's counts (onMessage); a worker late to answer counts with its last ones.
    await Promise.all([...this.workers].map((w) => this.request(w, { type: "inflight", seq }, timeoutMs)));
    const baseline = this.table === undefined ? [] : instanceIds(this.table);
    return sumInflight(
      baseline,
      [...this.workers].map((w) => w.inflight),
    );
  }

  describe(): { pid: number; served: number; restarts: number }[] {
    return [...this.workers].map((w) => ({ pid: w.child.pid ?? 0, served: w.served, restarts: this.restarts }));
  }

  /** Tells every worker to drain (up to drainMs) and resolves when all have exited. */
  async shutdown(drainMs: number): Promise<void> {
    this.stopping = true;
    const exits = [...this.workers].map(
      (w) => new Promise<void>((ok) => (w.child.exitCode !== null ? ok() : w.child.once("exit", () => ok()))),
    );
    for (const w of this.workers) this.post(w, { type: "shutdown", drainMs });
    const cut = setTimeout(() => {
      for (const w of this.workers) w.child.kill("SIGKILL");
    }, drainMs + 2_000);
    await Promise.all(exits);
    clearTimeout(cut);
  }

  private spawn(): Promise<PutTableResult> {
    // stdio inherited: a worker's messages land in the edge's log next to the primary's.
    const env = this.socketPath === undefined ? process.env : { ...process.env, RAMPART_EDGE_SOCKET: this.socketPath };
    const child = fork(WORKER_MAIN, [], { stdio: ["ignore", "inherit", "inherit", "ipc"], execArgv: process.execArgv, env });
    const worker: Worker = { child, startedAt: performance.now(), ready: false, inflight: {}, served: 0, waiting: new Map() };
    this.workers.add(worker);
    child.on("message", (raw: unknown) => this.onMessage(worker, raw as WorkerMessage));
    child.on("error", () => {});
    child.once("exit", (code, signal) => this.onExit(worker, code, signal));
    return new Promise((resolve) => {
      worker.waiting.set(0, async (hello) => {
        if (hello === undefined) return resolve({ version: this.table?.version ?? 0, listening: [], errors: [] });
        let result: PutTableResult | undefined;
        // A table pushed while this worker was catching up is applied too, so it never serves a stale one.
        for (let table = this.table; table !== undefined; ) {
          result = await this.applyTo(worker, table);
          if (this.table === table) break;
          table = this.table;
        }
        worker.ready = true;
        resolve(result ?? { version: 0, listening: [], errors: [] });
      });
    });
  }

  private onMessage(worker: Worker, message: WorkerMessage): void {
    if (message.type === "collected") {
      // Folded whenever it arrives, also after its caller gave up waiting: no measurement is lost.
      this.accumulator.add(message.stats);
      worker.inflight = message.stats.inflight;
      worker.served = message.stats.served;
    } else if (message.type === "inflight") {
      worker.inflight = message.inflight;
    }
    const seq = message.type === "hello" ? 0 : message.seq;
    const waiter = worker.waiting.get(seq);
    worker.waiting.delete(seq);
    waiter?.(message);
  }

  private onExit(worker: Worker, code: number | null, signal: NodeJS.Signals | null): void {
    this.workers.delete(worker);
    for (const waiter of worker.waiting.values()) waiter(undefined);
    worker.waiting.clear();
    if (this.stopping) return;
    process.stderr.write(`edge: worker ${worker.child.pid} exited (${signal ?? code}); starting another\n`);
    this.restarts++;
    const delay = performance.now() - worker.startedAt < CRASH_LOOP_MS ? CRASH_LOOP_MS : 0;
    setTimeout(() => {
      if (!this.stopping) void this.spawn();
    }, delay);
  }

  private applyTo(worker: Worker, table: RoutingTable): Promise<PutTableResult | undefined> {
    return this.request(worker, { type: "table", seq: ++this.seq, table }, APPLY_TIMEOUT_MS).then((m) =>
      m?.type === "applied" ? m.result : undefined,
    );
  }

  /** Sends a message and resolves with the answer carrying its seq (undefined on exit or timeout). */
  private request(worker: Worker, message: PrimaryMessage & { seq: number }, timeoutMs: number): Promise<WorkerMessage | undefined> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        worker.waiting.delete(message.seq);
        resolve(undefined);
      }, timeoutMs);
      worker.waiting.set(message.seq, (answer) => {
        clearTimeout(timer);
        resolve(answer);
      });
      this.post(worker, message);
    });
  }

  private post(worker: Worker, message: PrimaryMessage): void {
    if (worker.child.connected) worker.child.send(message, undefined, {}, () => {});
  }
}

function instanceIds(table: RoutingTable): string[] {
  return table.environments.flatMap((e) => e.apps.flatMap((a) => a.releases.flatMap((r) => r.instances.map((i) => i.id))));
}

function mergeResults(version: number, results: PutTableResult[]): PutTableResult {
  if (results.length === 0) return { version, listening: [], errors: [] };
  const key = (a: { env: string; port: number }): string => `${a.env}|${a.port}`;
  const everywhere = results.slice(1).reduce(
    (acc, r) => {
      const keys = new Set(r.listening.map(key));
      return acc.filter((a) => keys.has(key(a)));
    },
    (results[0] as PutTableResult).listening,
  );
  const errors = new Map<string, PutTableResult["errors"][number]>();
  for (const r of results) for (const e of r.errors) if (!errors.has(key(e))) errors.set(key(e), e);
  return { version: Math.max(...results.map((r) => r.version)), listening: everywhere, errors: [...errors.values()] };
}
