import type { RequestSeries } from "./edge-stats.types.ts";
import { emptyBuckets, recordLatency } from "../shared/measurement.ts";

export interface FoldedStats {
  fromMs: number;
  toMs: number;
  series: RequestSeries[];
}

/** One status code's aggregate inside a slot; zeroed, not freed, when drained (no steady-state allocation). */
interface StatusAggregate {
  readonly status: number;
  count: number;
  sumMs: number;
  readonly buckets: number[];
}

/**
 * The aggregates of one env × app × route × release × instance, created when a table is compiled so the hot
 * path never builds a string key: a request adds into its slot's entry for its status code (a short
 * list: almost every slot sees one or two codes).
 */
export class SeriesSlot {
  readonly env: string;
  readonly app: string;
  readonly route: string;
  readonly release: number;
  readonly instance: string;
  readonly statuses: StatusAggregate[] = [];
  /** Set while the slot is on its RequestStats' dirty list (it has counts since the last drain). */
  dirty = false;

  constructor(env: string, app: string, route: string, release: number, instance: string) {
    this.env = env;
    this.app = app;
    this.route = route;
    this.release = release;
    this.instance = instance;
  }

  aggregate(status: number): StatusAggregate {
    const statuses = this.statuses;
    for (let i = 0; i < statuses.length; i++) {
      const s = statuses[i] as StatusAggregate;
      if (s.status === status) return s;
    }
    const created: StatusAggregate = { status, count: 0, sumMs: 0, buckets: emptyBuckets() };
    statuses.push(created);
    return created;
  }
}

/**
 * The slots of the table in force, keyed once per table application (not per request). A slot that
 * leaves the table is forgotten here but stays valid for the requests still holding it.
 */
export class SeriesSlots {
  private slots = new Map<string, SeriesSlot>();
  private next = new Map<string, SeriesSlot>();

  /** The slot for a key while compiling a table: the current one when the key was already in force. */
  get(env: string, app: string, route: string, release: number, instance: string): SeriesSlot {
    const key = `${env}\u0000${app}\u0000${route}\u0000${release}\u0000${instance}`;
    let slot = this.next.get(key) ?? this.slots.get(key);
    if (slot === undefined) slot = new SeriesSlot(env, app, route, release, instance);
    this.next.set(key, slot);
    return slot;
  }

  /** Called once a table is compiled: only its slots stay keyed. */
  commit(): void {
    this.slots = this.next;
    this.next = new Map();
  }
}

/**
 * Folds every finished request into its slot: a few additions and one bucket search, no allocation
 * (bench/edge/stats-cost.ts measures it). The control plane reads a few dozen series per second
 * instead of one record per request.
 */
export class RequestStats {
  private dirty: SeriesSlot[] = [];
  /** performance.now() of the first and last request folded since the last drain (0: none). */
  private firstAt = 0;
  private lastAt = 0;

  record(slot: SeriesSlot, status: number, durationMs: number, now: number): void {
    const first = slot.statuses[0];
    const aggregate = first !== undefined && first.status === status ? first : slot.aggregate(status);
    aggregate.count++;
    aggregate.sumMs += durationMs;
    recordLatency(aggregate.buckets, durationMs);
    if (!slot.dirty) {
      slot.dirty = true;
      this.dirty.push(slot);
    }
    if (this.firstAt === 0) this.firstAt = now;
    this.lastAt = now;
  }

  /** Returns what was folded since the last call and starts over. */
  drain(): FoldedStats {
    const series: RequestSeries[] = [];
    for (const slot of this.dirty) {
      slot.dirty = false;
      for (const s of slot.statuses) {
        if (s.count === 0) continue;
        series.push({
          env: slot.env,
          app: slot.app,
          route: slot.route,
          release: slot.release,
          instance: slot.instance,
          status: s.status,
          count: s.count,
          sumMs: s.sumMs,
          buckets: s.buckets.slice(),
        });
        s.count = 0;
        s.sumMs = 0;
        s.buckets.fill(0);
      }
    }
    this.dirty = [];
    const out: FoldedStats = { fromMs: epochMs(this.firstAt), toMs: epochMs(this.lastAt), series };
    this.firstAt = 0;
    this.lastAt = 0;
    return out;
  }
}

/** Monotonic time to epoch ms, without a Date.now() call per request. */
function epochMs(at: number): number {
  return at === 0 ? 0 : Math.round(performance.timeOrigin + at);
}
