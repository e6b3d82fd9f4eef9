import { Pool } from "undici";
import type { CompiledInstance } from "./compiled-table.ts";
import { UpstreamPool } from "./upstream-connection.ts";

/** First down period; each failure in a row doubles it (an instance that stays broken is tried less often), capped. */
const DOWN_FOR_MS = 2_000;
const MAX_DOWN_FOR_MS = 30_000;

/** Both clients of one instance, created on first use: the edge's own for bodyless requests, undici for uploads. */
interface PoolEntry {
  origin: string;
  pool: Pool | undefined;
  lean: UpstreamPool | undefined;
}

/**
 * Per-instance state that outlives routing tables: keep-alive pools, outstanding request counts and
 * "refused a connection" marks. An instance that leaves the table keeps its pool until its last
 * request ends, so draining instances finish their work and the control plane can watch them drain.
 */
export class UpstreamRegistry {
  private readonly pools = new Map<string, PoolEntry>();
  private readonly inflight = new Map<string, number>();
  private readonly downUntil = new Map<string, number>();
  /** Failures in a row per instance (refused or timed out), cleared by its next good answer. */
  private readonly failuresInRow = new Map<string, number>();
  /** Sequence number of each instance's latest response head (see lastAnswer). */
  private readonly lastAnswers = new Map<string, number>();
  private answerSeq = 0;
  private live: ReadonlySet<string> = new Set();
  private readonly now: () => number;

  constructor(now: () => number = () => performance.now()) {
    this.now = now;
  }

  /** Called with each applied table: pools of instances that left it close once idle. */
  setLive(ids: ReadonlySet<string>): void {
    this.live = ids;
    for (const id of [...this.pools.keys()]) this.closeIfRetired(id);
    for (const id of [...this.downUntil.keys()]) if (!ids.has(id)) this.downUntil.delete(id);
    for (const id of [...this.failuresInRow.keys()]) if (!ids.has(id)) this.failuresInRow.delete(id);
    for (const id of [...this.lastAnswers.keys()]) if (!ids.has(id)) this.lastAnswers.delete(id);
  }

  /** The undici pool (requests with a body). */
  pool(instance: CompiledInstance): Pool {
    const entry = this.entry(instance);
    entry.pool ??= new Pool(instance.origin, { keepAliveTimeout: 4_000, connect: { timeout: 5_000 } });
    return entry.pool;
  }

  /** The edge's own keep-alive client (requests without a body). */
  lean(instance: CompiledInstance): UpstreamPool {
    const entry = this.entry(instance);
    entry.lean ??= new UpstreamPool(instance.host, instance.port);
    return entry.lean;
  }

  private entry(instance: CompiledInstance): PoolEntry {
    const entry = this.pools.get(instance.id);
    if (entry !== undefined && entry.origin === instance.origin) return entry;
    // Same id on a new address (should not happen, but a stale pool would send traffic to the wrong place).
    if (entry !== undefined) closeEntry(entry);
    const created: PoolEntry = { origin: instance.origin, pool: undefined, lean: undefined };
    this.pools.set(instance.id, created);
    return created;
  }

  begin(id: string): void {
    this.inflight.set(id, (this.inflight.get(id) ?? 0) + 1);
  }

  end(id: string): void {
    const count = (this.inflight.get(id) ?? 1) - 1;
    if (count > 0) {
      this.inflight.set(id, count);
      return;
    }
    this.inflight.delete(id);
    this.closeIfRetired(id);
  }

  outstanding(id: string): number {
    return this.inflight.get(id) ?? 0;
  }

  markDown(id: string): void {
    const failures = (this.failuresInRow.get(id) ?? 0) + 1;
    this.failuresInRow.set(id, failures);
    this.downUntil.set(id, this.now() + Math.min(MAX_DOWN_FOR_MS, DOWN_FOR_MS * 2 ** (failures - 1)));
  }

  /** An answer came: the instance works again (one map check on the hot path while nothing failed). */
  answered(id: string): void {
    this.lastAnswers.set(id, ++this.answerSeq);
    if (this.failuresInRow.size !== 0) this.failuresInRow.delete(id);
  }

  /** Order of the instance's latest answer among all answers (0: none yet): higher is more recently alive. */
  lastAnswer(id: string): number {
    return this.lastAnswers.get(id) ?? 0;
  }

  isDown(id: string): boolean {
    if (this.downUntil.size === 0) return false;
    const until = this.downUntil.get(id);
    if (until === undefined) return false;
    if (until > this.now()) return true;
    this.downUntil.delete(id);
    return false;
  }

  /** Live count per instance: every instance of the table (0 included) plus draining ones still busy. */
  inflightSnapshot(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const id of this.live) out[id] = 0;
    for (const [id, count] of this.inflight) out[id] = count;
    return out;
  }

  totalInflight(): number {
    let total = 0;
    for (const count of this.inflight.values()) total += count;
    return total;
  }

  async closeAll(): Promise<void> {
    const entries = [...this.pools.values()];
    this.pools.clear();
    for (const e of entries) e.lean?.destroy();
    await Promise.all(entries.map((e) => e.pool?.destroy().catch(() => {})));
  }

  private closeIfRetired(id: string): void {
    if (this.live.has(id) || this.inflight.has(id)) return;
    const entry = this.pools.get(id);
    if (entry === undefined) return;
    this.pools.delete(id);
    closeEntry(entry);
  }
}

function closeEntry(entry: PoolEntry): void {
  void entry.pool?.close().catch(() => {});
  entry.lean?.close();
}
