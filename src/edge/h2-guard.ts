import { constants, type ServerHttp2Session, type ServerHttp2Stream } from "node:http2";

/** A token bucket: `burst` at once, refilled at `perSecond`. */
export interface FloodLimit {
  burst: number;
  perSecond: number;
}

/**
 * What one HTTP/2 connection may do beyond requests before the edge ends it (GOAWAY ENHANCE_YOUR_CALM, then
 * closed). Browsers send a handful of PINGs and SETTINGS per connection and cancel a few streams (a navigation
 * away); the attacks send thousands a second, each costing the server work (an ACK, a stream set up and torn
 * down, an upstream request started and aborted).
 */
export const H2_FLOOD_LIMITS: Readonly<Record<FloodKind, FloodLimit>> = {
  // CVE-2019-9512: every PING must be answered.
  ping: { burst: 20, perSecond: 5 },
  // CVE-2019-9515: every SETTINGS must be acknowledged.
  settings: { burst: 20, perSecond: 5 },
  // CVE-2023-44487 (rapid reset): streams the client cancels before their answer is complete.
  reset: { burst: 200, perSecond: 50 },
};

export type FloodKind = "ping" | "settings" | "reset";

/** Connection-wide HTTP/2 settings and limits of the edge (nginx's http2 defaults where it has one). */
export const H2_SETTINGS = {
  /** nginx's http2_max_concurrent_streams; streams beyond it are refused (RST_STREAM REFUSED_STREAM). */
  maxConcurrentStreams: 128,
  /** Refused streams after which the connection is ended: a client ignoring the limit is not a browser. */
  maxSessionRejectedStreams: 100,
  /** Frames nghttp2 rejects as invalid before the connection is ended (CONTINUATION and other garbage floods). */
  maxSessionInvalidFrames: 100,
  /** Header fields per request (pseudo-headers included): HPACK makes each one cost a byte or two on the wire. */
  maxHeaderListPairs: 256,
};

class Bucket {
  private tokens: number;
  private at: number;
  private readonly limit: FloodLimit;

  constructor(limit: FloodLimit, now: number) {
    this.limit = limit;
    this.tokens = limit.burst;
    this.at = now;
  }

  take(now: number): boolean {
    this.tokens = Math.min(this.limit.burst, this.tokens + ((now - this.at) / 1_000) * this.limit.perSecond);
    this.at = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/**
 * Counts one session's PINGs, SETTINGS and cancelled streams; on the first over its limit the session gets
 * GOAWAY ENHANCE_YOUR_CALM and is destroyed. `onFlood` hears which limit it was (for the tests and the log).
 */
export function guardSession(
  session: ServerHttp2Session,
  onFlood: (kind: FloodKind) => void = () => {},
  limits: Readonly<Record<FloodKind, FloodLimit>> = H2_FLOOD_LIMITS,
  now: () => number = () => performance.now(),
): void {
  const start = now();
  const buckets: Record<FloodKind, Bucket> = {
    ping: new Bucket(limits.ping, start),
    settings: new Bucket(limits.settings, start),
    reset: new Bucket(limits.reset, start),
  };
  let ended = false;
  const spend = (kind: FloodKind): void => {
    if (ended || buckets[kind].take(now())) return;
    ended = true;
    onFlood(kind);
    if (!session.destroyed) {
      session.goaway(constants.NGHTTP2_ENHANCE_YOUR_CALM);
      session.destroy();
    }
  };
  session.on("ping", () => spend("ping"));
  session.on("remoteSettings", () => spend("settings"));
  session.on("stream", (stream: ServerHttp2Stream) => stream.once("aborted", () => spend("reset")));
}
