/** A long-lived exchange (WebSocket tunnel, SSE response) that can be ended cleanly on request. */
export interface DrainableStream {
  /** Ends the stream the way its protocol allows a client to reconnect: a close frame, or the chunked terminator. */
  closeGracefully(): void;
}

/** How long before an instance's drain deadline the edge closes its streams, so they end before the instance is stopped. */
export function closeMargin(drainMs: number): number {
  return Math.min(1_000, Math.floor(drainMs / 2));
}

/**
 * The WebSocket and SSE streams open to each instance. A stream never finishes on its own, so when its
 * instance leaves the routing table (at t0) the edge ends it cleanly at t0 + drain − margin: before the
 * control plane stops the instance, which would cut it. An instance that comes back cancels the deadline.
 */
export class StreamRegistry {
  private readonly streams = new Map<string, Set<DrainableStream>>();
  private readonly deadlines = new Map<string, NodeJS.Timeout>();
  private drainMsById = new Map<string, number>();
  private live: ReadonlySet<string> = new Set();
  private readonly idleWaiters: (() => void)[] = [];

  add(instanceId: string, stream: DrainableStream): void {
    let set = this.streams.get(instanceId);
    if (set === undefined) {
      set = new Set();
      this.streams.set(instanceId, set);
    }
    set.add(stream);
    // The instance left the table while this stream was being set up: it gets the same deadline.
    if (!this.live.has(instanceId)) this.schedule(instanceId);
  }

  remove(instanceId: string, stream: DrainableStream): void {
    const set = this.streams.get(instanceId);
    if (set === undefined || !set.delete(stream)) return;
    if (set.size > 0) return;
    this.streams.delete(instanceId);
    this.cancel(instanceId);
    if (this.streams.size === 0) for (const ok of this.idleWaiters.splice(0)) ok();
  }

  count(): number {
    let total = 0;
    for (const set of this.streams.values()) total += set.size;
    return total;
  }

  /**
   * Called with each applied table: `drainMs` gives each live instance's app drain. Instances that left
   * start their countdown now, with the drain they had in the last table that listed them.
   */
  setLive(live: ReadonlySet<string>, drainMs: ReadonlyMap<string, number>): void {
    for (const [id, ms] of drainMs) this.drainMsById.set(id, ms);
    const known = new Map<string, number>();
    for (const [id, ms] of this.drainMsById) if (live.has(id) || this.streams.has(id)) known.set(id, ms);
    this.drainMsById = known;
    this.live = live;
    for (const id of this.streams.keys()) {
      if (live.has(id)) this.cancel(id);
      else this.schedule(id);
    }
  }

  /** Edge shutdown: every stream ends now; resolves when all are gone or after `graceMs`. */
  closeAll(graceMs: number): Promise<void> {
    for (const id of [...this.deadlines.keys()]) this.cancel(id);
    for (const set of [...this.streams.values()]) for (const stream of [...set]) stream.closeGracefully();
    if (this.streams.size === 0) return Promise.resolve();
    return new Promise((ok) => {
      const timer = setTimeout(ok, graceMs);
      timer.unref();
      this.idleWaiters.push(() => {
        clearTimeout(timer);
        ok();
      });
    });
  }

  private schedule(id: string): void {
    if (this.deadlines.has(id)) return;
    const drainMs = this.drainMsById.get(id) ?? 10_000;
    const timer = setTimeout(
      () => {
        this.deadlines.delete(id);
        for (const stream of [...(this.streams.get(id) ?? [])]) stream.closeGracefully();
      },
      Math.max(0, drainMs - closeMargin(drainMs)),
    );
    timer.unref();
    this.deadlines.set(id, timer);
  }

  private cancel(id: string): void {
    const timer = this.deadlines.get(id);
    if (timer === undefined) return;
    clearTimeout(timer);
    this.deadlines.delete(id);
  }
}

/** An SSE response (Content-Type text/event-stream, parameters allowed): a stream to close at the drain deadline. */
export function isEventStream(contentType: string | string[] | undefined): boolean {
  const value = Array.isArray(contentType) ? contentType[0] : contentType;
  return value !== undefined && value.length >= 17 && value.slice(0, 17).toLowerCase() === "text/event-stream";
}

/** The same for the edge's own client's flat [lower-case name, value, …] header list. */
export function isEventStreamFlat(headers: readonly string[]): boolean {
  for (let i = 0; i < headers.length; i += 2) if (headers[i] === "content-type") return isEventStream(headers[i + 1]);
  return false;
}
