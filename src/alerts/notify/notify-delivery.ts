import type { TimerClock } from "../../shared/clock.ts";
import { logger } from "../../shared/logger.ts";
import type { DeliveryStore } from "./delivery.store.ts";
import type { Delivery } from "./delivery.types.ts";
import type { NotifyConfig } from "./notify-config.ts";
import type { Notification } from "./notify-dispatcher.ts";
import { notificationText } from "./notify-payloads.ts";
import type { SendNotification } from "./notify-senders.ts";

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  attempts: number;
  /** Wait before the second attempt; doubled before each further one. */
  initialBackoffMs: number;
  maxBackoffMs: number;
}

/** Five attempts over about half a minute: long enough for a receiver's restart, short of the next group_interval. */
export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, initialBackoffMs: 2_000, maxBackoffMs: 30_000 };

/**
 * Sends each notification to its receiver, retrying failures with exponential backoff, and keeps the delivery log
 * up to date (sending → retrying → delivered | failed). Deliveries run concurrently and never throw to the caller,
 * so one dead receiver does not hold up the others; `idle()` waits for those in flight (tests, shutdown).
 */
export class NotifyDelivery {
  readonly #deps: { store: DeliveryStore; send: SendNotification; clock: TimerClock; config: () => NotifyConfig; retry: RetryPolicy };
  readonly #inflight = new Set<Promise<void>>();

  constructor(deps: { store: DeliveryStore; send: SendNotification; clock: TimerClock; config: () => NotifyConfig; retry?: RetryPolicy }) {
    this.#deps = { ...deps, retry: deps.retry ?? DEFAULT_RETRY };
  }

  deliver(n: Notification): void {
    const p = this.#deliver(n).catch((error: unknown) =>
      logger.warn({ err: error, receiver: n.receiver }, "alerts: writing the delivery log failed"),
    );
    this.#inflight.add(p);
    void p.finally(() => this.#inflight.delete(p));
  }

  /** The delivery log, newest first (the console receiver's notifications are its `console` rows). */
  list(filter: { kind?: string; limit: number }): Promise<Delivery[]> {
    return this.#deps.store.list(filter);
  }

  async idle(): Promise<void> {
    while (this.#inflight.size > 0) await Promise.all([...this.#inflight]);
  }

  async #deliver(n: Notification): Promise<void> {
    const { store, send, clock, retry } = this.#deps;
    const receiver = this.#deps.config().receivers[n.receiver];
    const base = {
      at: n.at,
      receiver: n.receiver,
      kind: receiver?.kind ?? "unknown",
      groupKey: n.groupKey,
      reason: n.reason,
      alerts: n.alerts.map((a) => ({ fingerprint: a.fingerprint, state: a.state, labels: a.labels })),
      text: notificationText(n),
    };
    if (!receiver) {
      await store.insert({
        ...base,
        status: "failed",
        attempts: 0,
        error: `no receiver named ${n.receiver} in alerts.receivers`,
        updatedAt: clock.now(),
      });
      return;
    }
    const id = await store.insert({ ...base, status: "sending", attempts: 0, error: null, updatedAt: clock.now() });
    let backoff = retry.initialBackoffMs;
    for (let attempt = 1; ; attempt++) {
      try {
        await send(n, receiver);
        await store.update(id, { status: "delivered", attempts: attempt, error: null, updatedAt: clock.now() });
        return;
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        const last = attempt >= retry.attempts;
        await store.update(id, { status: last ? "failed" : "retrying", attempts: attempt, error: message, updatedAt: clock.now() });
        if (last) return;
        await clock.sleep(backoff);
        backoff = Math.min(backoff * 2, retry.maxBackoffMs);
      }
    }
  }
}
