import type { Db } from "../db/database.ts";
import type { Clock } from "../shared/clock.ts";
import { EventStore } from "./event.store.ts";
import type { EventQuery, NewEvent, RampartEvent } from "./event.types.ts";

export type EventListener = (event: RampartEvent) => void;
export type Emit = (event: NewEvent) => Promise<RampartEvent>;

/**
 * The backbone: every state change is written in the same transaction as the event that records it, and
 * listeners (SSE streams, the console, later alerting) hear of an event only after it is committed.
 */
export class EventLog {
  readonly #db: Db;
  readonly #clock: Clock;
  readonly #store: EventStore;
  readonly #listeners = new Set<EventListener>();
  /** The last committed event's id and chain hash, as this process wrote them (the audit's checkpoints sign it). */
  #head: { id: number; hash: string } | null = null;

  constructor(db: Db, clock: Clock) {
    this.#db = db;
    this.#clock = clock;
    this.#store = new EventStore(db);
  }

  /** Runs `work` in one transaction; the events it emits are appended in it and published after commit. */
  async transact<T>(work: (trx: Db, emit: Emit) => Promise<T>): Promise<T> {
    const appended: RampartEvent[] = [];
    const written: { head: { id: number; hash: string } | null } = { head: null };
    const result = await this.#db.transaction().execute(async (trx) => {
      const emit: Emit = async (event) => {
        const { event: stored, hash } = await this.#store.insert(trx, this.#clock.now(), event);
        appended.push(stored);
        written.head = { id: stored.id, hash };
        return stored;
      };
      return work(trx, emit);
    });
    const { head } = written;
    if (head !== null && (this.#head === null || head.id > this.#head.id)) this.#head = head;
    for (const event of appended) this.#publish(event);
    return result;
  }

  /** An event that records no other state change. */
  async append(event: NewEvent): Promise<RampartEvent> {
    return this.transact((_trx, emit) => emit(event));
  }

  query(filter: EventQuery): Promise<RampartEvent[]> {
    return this.#store.query(filter);
  }

  /** The newest event this process appended, with its chain hash; null before the first append. */
  head(): { id: number; hash: string } | null {
    return this.#head;
  }

  subscribe(listener: EventListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #publish(event: RampartEvent): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch {
        // A failing listener (a closed SSE socket) must not stop the others or the writer.
      }
    }
  }
}
