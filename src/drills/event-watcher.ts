import type { ApiClient } from "../client/api-client.ts";

/**
 * Follows the event stream the way a console would: from the start, and after a control-plane restart
 * resumes from the last id it received (`afterId`), against whichever control plane is current. What it
 * received before a fault is what the drill calls "acknowledged", and must still be in the store after it.
 */
export class EventWatcher {
  readonly #received = new Map<number, string>();
  readonly #order: number[] = [];
  readonly #stop = new AbortController();
  #client: ApiClient;
  #done: Promise<void>;

  constructor(client: ApiClient) {
    this.#client = client;
    this.#done = this.#run();
  }

  /** The control plane was replaced: reconnect to the new one. */
  use(client: ApiClient): void {
    this.#client = client;
  }

  /** id → type of every event received so far. */
  acknowledged(): Map<number, string> {
    return new Map(this.#received);
  }

  /** Every id in arrival order, across reconnects. */
  streamed(): number[] {
    return [...this.#order];
  }

  lastId(): number {
    return this.#order.at(-1) ?? 0;
  }

  async stop(): Promise<void> {
    this.#stop.abort();
    await this.#done;
  }

  async #run(): Promise<void> {
    // Bounded: one connection attempt per 100 ms at most, until stopped.
    while (!this.#stop.signal.aborted) {
      try {
        const afterId = this.#order.length === 0 ? 0 : this.lastId();
        for await (const event of this.#client.streamEvents({ afterId }, this.#stop.signal)) {
          this.#order.push(event.id);
          this.#received.set(event.id, event.type);
        }
      } catch {
        // The control plane went away (a drill killed it) or the stream was stopped: reconnect below.
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}
