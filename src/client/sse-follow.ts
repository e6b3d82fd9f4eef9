import { setTimeout as sleep } from "node:timers/promises";
import { readEvents, type SseEvent } from "../../packages/sdk/src/sse-reader.ts";

/** Why a followed stream is reconnecting, for the caller to tell its user (the CLI prints it on stderr). */
export interface Reconnecting {
  attempt: number;
  delayMs: number;
  reason: string;
  /** The id the next connection resumes after (sent as Last-Event-ID), if any event carried one. */
  lastEventId: string | undefined;
}

export interface FollowOptions {
  /**
   * Opens the stream once; `lastEventId` is the last id received (undefined before the first). Throws
   * `StreamRefused` for an answer retrying cannot change (401, 404, a bad filter); any other error retries.
   */
  open(lastEventId: string | undefined, signal: AbortSignal): Promise<AsyncIterable<Uint8Array>>;
  /** Where to start: an id the server sent earlier (the first connection sends it as Last-Event-ID too). */
  lastEventId?: string;
  onReconnecting?(state: Reconnecting): void;
  onReconnected?(state: { lastEventId: string | undefined }): void;
  signal?: AbortSignal;
  minDelayMs?: number;
  maxDelayMs?: number;
  /** The server pings every 15 s: no byte for this long means a dead connection even if TCP has not noticed. */
  idleMs?: number;
}

/** An answer that reconnecting would only repeat: following stops with it. */
export class StreamRefused extends Error {
  constructor(cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
  }
}

/**
 * Follows a Server-Sent Events stream across disconnects (a control-plane restart, a dropped connection): each
 * end of the stream reconnects with capped exponential backoff and resumes after the last event id, so the
 * server replays what was missed and nothing is seen twice. Ends only when `signal` aborts.
 */
export async function* followEvents(options: FollowOptions): AsyncGenerator<SseEvent> {
  const minDelay = options.minDelayMs ?? 250;
  const maxDelay = options.maxDelayMs ?? 5000;
  const idleMs = options.idleMs ?? 45_000;
  let lastEventId = options.lastEventId;
  let attempt = 0;
  for (;;) {
    options.signal?.throwIfAborted();
    const connection = new AbortController();
    const abort = () => connection.abort();
    options.signal?.addEventListener("abort", abort, { once: true });
    let reason = "the stream ended";
    try {
      const body = await options.open(lastEventId, connection.signal);
      if (attempt > 0) options.onReconnected?.({ lastEventId });
      attempt = 0;
      for await (const event of readEvents(watchdog(body, idleMs, connection))) {
        lastEventId = event.id ?? lastEventId;
        yield event;
      }
      if (connection.signal.aborted && !options.signal?.aborted) reason = `no data for ${idleMs / 1000} s`;
    } catch (error) {
      if (error instanceof StreamRefused || options.signal?.aborted) throw error instanceof StreamRefused ? error.cause : error;
      reason = connection.signal.aborted ? `no data for ${idleMs / 1000} s` : describe(error);
    } finally {
      options.signal?.removeEventListener("abort", abort);
      connection.abort();
    }
    attempt++;
    const delayMs = Math.min(maxDelay, minDelay * 2 ** Math.min(attempt - 1, 10));
    options.onReconnecting?.({ attempt, delayMs, reason, lastEventId });
    await sleep(delayMs, undefined, { signal: options.signal });
  }
}

/** fetch says "fetch failed" or "terminated"; the cause names the socket error (ECONNREFUSED, ECONNRESET). */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? `: ${(error.cause as Error & { code?: string }).code ?? error.cause.message}` : "";
  return `${error.message}${cause}`;
}

/** Passes the body through, aborting `connection` when no chunk arrives for `idleMs`. */
async function* watchdog(body: AsyncIterable<Uint8Array>, idleMs: number, connection: AbortController): AsyncGenerator<Uint8Array> {
  let timer = setTimeout(() => connection.abort(), idleMs);
  try {
    for await (const chunk of body) {
      clearTimeout(timer);
      timer = setTimeout(() => connection.abort(), idleMs);
      yield chunk;
    }
  } finally {
    clearTimeout(timer);
  }
}
