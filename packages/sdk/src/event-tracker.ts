/**
 * Exposures (which user was served which variation) and business events (`track`), batched like evaluation
 * counts. Memory is bounded: a fixed number of (flag, user) pairs remembered as already reported, and a fixed
 * queue; beyond it new items are dropped and counted. Only a hash of the user key is queued or sent.
 */
import type { EvaluationContext } from "./flag-data.ts";
import { userHash, userKeyOf } from "./user-hash.ts";

export interface ExposureRecord {
  flag: string;
  variation: string;
  user: string;
  atMs: number;
}

export interface TrackRecord {
  key: string;
  user: string;
  atMs: number;
  value?: number;
}

export interface EventsBatch {
  exposures: ExposureRecord[];
  events: TrackRecord[];
}

export interface TrackerLimits {
  /** (flag, user) pairs remembered as already reported, oldest forgotten first (default 50,000). */
  rememberedExposures: number;
  /** Exposures and events waiting to be sent, each (default 10,000); the server takes 10,000 per batch. */
  maxQueued: number;
}

const DAY_MS = 86_400_000;

export const DEFAULT_TRACKER_LIMITS: TrackerLimits = { rememberedExposures: 50_000, maxQueued: 10_000 };

export class EventTracker {
  readonly #now: () => number;
  readonly #limits: TrackerLimits;
  // flag → user key → the UTC day it was last reported.
  readonly #seen = new Map<string, Map<string, number>>();
  #seenCount = 0;
  #exposures: ExposureRecord[] = [];
  #events: TrackRecord[] = [];
  /** Items dropped because a queue was full (the server was unreachable for long, or the app tracks faster than it sends). */
  dropped = 0;

  constructor(now: () => number, limits: Partial<TrackerLimits> = {}) {
    this.#now = now;
    this.#limits = { ...DEFAULT_TRACKER_LIMITS, ...limits };
  }

  /**
   * Reports a user's exposure once per flag and UTC day: the first report enrols the user, later days' reports tell
   * the server the user came back (retention). Repeated evaluations the same day cost two map lookups, no hashing.
   */
  expose(flag: string, variation: string, context: EvaluationContext): void {
    const key = userKeyOf(context);
    if (key === undefined) return;
    const atMs = this.#now();
    const day = Math.floor(atMs / DAY_MS);
    let users = this.#seen.get(flag);
    const seenOn = users?.get(key);
    if (seenOn === day) return;
    if (!users) {
      users = new Map();
      this.#seen.set(flag, users);
    }
    if (this.#exposures.length >= this.#limits.maxQueued) {
      this.dropped++;
      return;
    }
    users.set(key, day);
    if (seenOn === undefined && ++this.#seenCount > this.#limits.rememberedExposures) this.#forgetOldest();
    this.#exposures.push({ flag, variation, user: userHash(key), atMs });
  }

  /** Records an event; false (and counted as dropped) without a user key or with a full queue. */
  track(key: string, context: EvaluationContext, value?: number): boolean {
    const user = userKeyOf(context);
    if (user === undefined || this.#events.length >= this.#limits.maxQueued) {
      this.dropped++;
      return false;
    }
    const record: TrackRecord = { key, user: userHash(user), atMs: this.#now() };
    if (value !== undefined && Number.isFinite(value)) record.value = value;
    this.#events.push(record);
    return true;
  }

  take(): EventsBatch | undefined {
    if (this.#exposures.length === 0 && this.#events.length === 0) return undefined;
    const batch = { exposures: this.#exposures, events: this.#events };
    this.#exposures = [];
    this.#events = [];
    return batch;
  }

  /** Puts an unsent batch back in front, within the queue bounds (the oldest items beyond them are dropped). */
  restore(batch: EventsBatch): void {
    const keep = <T>(older: T[], newer: T[]): T[] => {
      const all = older.concat(newer);
      const over = all.length - this.#limits.maxQueued;
      if (over <= 0) return all;
      this.dropped += over;
      return all.slice(over);
    };
    this.#exposures = keep(batch.exposures, this.#exposures);
    this.#events = keep(batch.events, this.#events);
  }

  #forgetOldest(): void {
    // Forgetting only means a pair may be reported twice: the server keeps the first exposure.
    for (const [flag, users] of this.#seen) {
      const first = users.keys().next();
      if (first.done) continue;
      users.delete(first.value);
      if (users.size === 0) this.#seen.delete(flag);
      this.#seenCount--;
      return;
    }
  }
}
