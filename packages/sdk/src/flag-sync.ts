/**
 * Keeps an SDK's snapshot current: an SSE stream first (pushes every change at once), ETag-checked polling
 * whenever the stream is down, reconnects with capped exponential backoff and jitter, and a watchdog that
 * drops a stream silent for longer than three server pings. A 401/403 stops everything: retrying a revoked
 * token only hammers the server.
 */
import type { FlagSnapshot } from "./flag-data.ts";
import { asSnapshot } from "./snapshot-file.ts";
import { readEvents } from "./sse-reader.ts";
import type { EventsBatch } from "./event-tracker.ts";
import type { MetricsBatch } from "./evaluation-counter.ts";

export type SnapshotSource = "stream" | "poll";

export interface FlagSyncOptions {
  url: string;
  sdkToken: string;
  fetch: typeof fetch;
  streaming: boolean;
  pollIntervalMs: number;
  reconnectMinMs: number;
  reconnectMaxMs: number;
  /** The server pings every 15 s; no byte for this long means the connection is dead even if TCP says otherwise. */
  streamIdleMs: number;
  currentVersion(): number | undefined;
  onSnapshot(snapshot: FlagSnapshot, source: SnapshotSource): void;
  onConnected(): void;
  /** `stale`: the data may be out of date (false when the stream failed but polling keeps the data current). */
  onError(error: Error, fatal: boolean, stale: boolean): void;
}

export class AuthError extends Error {}

export class FlagSync {
  #o: FlagSyncOptions;
  #stopped = false;
  #streamConnected = false;
  #abort = new AbortController();
  #pollTimer: NodeJS.Timeout | undefined;
  #etag: string | undefined;
  #lastPollOk = 0;

  constructor(options: FlagSyncOptions) {
    this.#o = options;
  }

  get streamConnected(): boolean {
    return this.#streamConnected;
  }

  start(): void {
    if (this.#o.streaming) void this.#streamLoop();
    else void this.poll();
    this.#pollTimer = setInterval(() => {
      if (!this.#streamConnected) void this.poll();
    }, this.#o.pollIntervalMs);
    this.#pollTimer.unref();
  }

  stop(): void {
    this.#stopped = true;
    this.#streamConnected = false;
    clearInterval(this.#pollTimer);
    this.#abort.abort();
  }

  #headers(extra?: Record<string, string>): Record<string, string> {
    return { authorization: `Bearer ${this.#o.sdkToken}`, ...extra };
  }

  #fail(error: Error, fromStream = false): void {
    if (this.#stopped) return;
    const fatal = error instanceof AuthError;
    if (fatal) this.stop();
    const pollingKeepsUp = fromStream && Date.now() - this.#lastPollOk < 2 * this.#o.pollIntervalMs;
    this.#o.onError(error, fatal, !pollingKeepsUp);
  }

  async #check(res: Response, what: string): Promise<void> {
    if (res.status === 401 || res.status === 403) {
      await res.body?.cancel();
      throw new AuthError(`${what}: the server refused the SDK token (HTTP ${res.status}); check the token and its environment`);
    }
  }

  /** One ETag-checked fetch of the snapshot; errors are reported, never thrown. */
  async poll(): Promise<void> {
    if (this.#stopped) return;
    try {
      const version = this.#o.currentVersion();
      const etag = version === undefined ? undefined : this.#etag;
      const res = await this.#o.fetch(`${this.#o.url}/api/v1/flags/sdk/snapshot`, {
        headers: this.#headers(etag ? { "if-none-match": etag } : undefined),
        signal: AbortSignal.any([this.#abort.signal, AbortSignal.timeout(10_000)]),
      });
      await this.#check(res, "polling the flag snapshot");
      if (res.status === 304) {
        await res.body?.cancel();
        this.#lastPollOk = Date.now();
        this.#o.onConnected();
        return;
      }
      if (!res.ok) {
        await res.body?.cancel();
        throw new Error(`polling the flag snapshot: HTTP ${res.status}`);
      }
      const snapshot = asSnapshot(await res.json());
      this.#etag = res.headers.get("etag") ?? `"${snapshot.version}"`;
      this.#lastPollOk = Date.now();
      this.#o.onConnected();
      this.#o.onSnapshot(snapshot, "poll");
    } catch (err) {
      this.#fail(err as Error);
    }
  }

  async #streamLoop(): Promise<void> {
    let delay = this.#o.reconnectMinMs;
    let firstFailure = true;
    while (!this.#stopped) {
      const connection = new AbortController();
      const signal = AbortSignal.any([this.#abort.signal, connection.signal]);
      let lastByte = Date.now();
      const watchdog = setInterval(
        () => {
          if (Date.now() - lastByte > this.#o.streamIdleMs) connection.abort(new Error("flag stream idle: no ping from the server"));
        },
        Math.max(100, Math.min(5000, this.#o.streamIdleMs / 3)),
      );
      watchdog.unref();
      try {
        const res = await this.#o.fetch(`${this.#o.url}/api/v1/flags/sdk/stream`, {
          headers: this.#headers({ accept: "text/event-stream" }),
          signal,
        });
        await this.#check(res, "opening the flag stream");
        if (!res.ok || !res.body) {
          await res.body?.cancel();
          throw new Error(`opening the flag stream: HTTP ${res.status}`);
        }
        this.#streamConnected = true;
        this.#o.onConnected();
        const body = res.body;
        const tracked = (async function* () {
          for await (const chunk of body) {
            lastByte = Date.now();
            yield chunk;
          }
        })();
        for await (const event of readEvents(tracked)) {
          if (event.event !== "snapshot") continue;
          this.#o.onSnapshot(asSnapshot(JSON.parse(event.data)), "stream");
          delay = this.#o.reconnectMinMs;
          firstFailure = true;
        }
        throw new Error("flag stream closed by the server");
      } catch (err) {
        this.#streamConnected = false;
        if (this.#stopped) return;
        const error = signal.aborted && signal.reason instanceof Error ? signal.reason : (err as Error);
        this.#fail(error, true);
        if (this.#stopped) return;
        // Fall back to one poll at once, so a server without a working stream still updates this SDK.
        if (firstFailure) void this.poll();
        firstFailure = false;
      } finally {
        clearInterval(watchdog);
      }
      const jittered = delay / 2 + Math.random() * (delay / 2);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, jittered);
        this.#abort.signal.addEventListener(
          "abort",
          () => {
            clearTimeout(t);
            resolve();
          },
          { once: true },
        );
      });
      delay = Math.min(delay * 2, this.#o.reconnectMaxMs);
    }
  }

  /** Sends one batch of evaluation counts; false when it could not be delivered (the caller keeps it). */
  async sendMetrics(batch: MetricsBatch): Promise<boolean> {
    return this.#post("/api/v1/flags/sdk/metrics", batch);
  }

  /** Exposures and tracked events; false when it should be retried. */
  async sendEvents(batch: EventsBatch): Promise<boolean> {
    return this.#post("/api/v1/flags/sdk/events", batch);
  }

  async #post(path: string, body: unknown): Promise<boolean> {
    try {
      const res = await this.#o.fetch(`${this.#o.url}${path}`, {
        method: "POST",
        headers: this.#headers({ "content-type": "application/json" }),
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(10_000),
      });
      await res.body?.cancel();
      if (res.status === 401 || res.status === 403) return true; // never deliverable: drop rather than pile up
      return res.ok;
    } catch {
      return false;
    }
  }
}
