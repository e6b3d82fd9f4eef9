import type { EdgeReply, EdgeRequest } from "./edge-request.types.ts";
import type { Readable } from "node:stream";
import { bodyStream } from "./h1-request.ts";
import type { CompiledApp, CompiledTable } from "./compiled-table.ts";
import { sendEdgeError } from "./proxy-error-response.ts";
import { RateLimiter, sameLimit, type RateLimit } from "./rate-limiter.ts";
import type { RoutingTable } from "./routing-table.types.ts";

/** The exchange a request body is streaming through: told when the body outgrows its app's limit. */
export interface BodyLimitTarget {
  bodyTooLarge(limit: number): void;
}

interface AppPolicy {
  readonly maxBodyBytes: number;
  readonly limiter: RateLimiter | null;
}

const DEFAULT_MAX_BODY = 10 * 1024 * 1024;

/**
 * Per-app admission: the client-IP rate limit (429 + Retry-After) and the body size limit (413), applied
 * once a request is routed and before any upstream is contacted. Policies hang off the compiled apps of
 * the table in force (a WeakMap, so an old table's apps and their policies go with it); rate-limit
 * buckets carry over from table to table while the app's limit stays the same.
 */
export class RequestGuard {
  private policies = new WeakMap<CompiledApp, AppPolicy>();
  private limiters = new Map<string, RateLimiter>();
  private readonly now: () => number;

  constructor(now: () => number = () => performance.now()) {
    this.now = now;
  }

  configure(compiled: CompiledTable, table: RoutingTable): void {
    const policies = new WeakMap<CompiledApp, AppPolicy>();
    const limiters = new Map<string, RateLimiter>();
    for (const env of compiled.environments) {
      const raw = table.environments.find((e) => e.name === env.name);
      for (const route of env.routes) {
        if (policies.has(route.app)) continue;
        const app = raw?.apps.find((a) => a.name === route.app.name);
        const key = `${env.name}\u0000${route.app.name}`;
        const limit: RateLimit | null = app?.rateLimit ?? null;
        let limiter: RateLimiter | null = null;
        if (limit !== null) {
          const previous = this.limiters.get(key);
          limiter = previous !== undefined && sameLimit(previous.limit, limit) ? previous : new RateLimiter(limit, this.now);
          limiters.set(key, limiter);
        }
        policies.set(route.app, { maxBodyBytes: app?.maxBodyBytes ?? DEFAULT_MAX_BODY, limiter });
      }
    }
    this.policies = policies;
    this.limiters = limiters;
  }

  /**
   * True when the request may go on. Otherwise the answer (429 or 413) has been sent. A chunked body is
   * counted as it streams: `target` hears when it passes the limit.
   */
  admit(
    app: CompiledApp,
    req: EdgeRequest,
    res: EdgeReply,
    requestId: string,
    accept: string | undefined,
    target: BodyLimitTarget,
  ): boolean {
    const policy = this.policies.get(app);
    if (policy === undefined) return true;
    const retryAfter = policy.limiter === null ? 0 : policy.limiter.take(req.socket.remoteAddress ?? "");
    if (retryAfter > 0) {
      res.setHeader("retry-after", String(retryAfter));
      sendEdgeError(
        req,
        res,
        429,
        "rate_limited",
        `too many requests to ${app.name} from this address; retry in ${retryAfter} s`,
        requestId,
        accept,
      );
      return false;
    }
    const max = policy.maxBodyBytes;
    // From the raw list: req.headers is built only when something needs it (the edge's own HTTP/1.x request).
    const raw = req.rawHeaders;
    let declared: string | undefined;
    let chunked = false;
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i] as string;
      if (name.length === 14 && declared === undefined && name.toLowerCase() === "content-length") declared = raw[i + 1];
      else if (name.length === 17 && name.toLowerCase() === "transfer-encoding") chunked = true;
    }
    if (declared !== undefined) {
      // Node's parser has already refused anything but one plain decimal number.
      if (Number(declared) <= max) return true;
      // The body will not be read: the connection cannot carry another request after this answer.
      res.shouldKeepAlive = false;
      sendEdgeError(
        req,
        res,
        413,
        "payload_too_large",
        `request body of ${declared} bytes is over ${app.name}'s limit of ${max} bytes`,
        requestId,
        accept,
      );
      return false;
    }
    if (chunked) countBody(req, max, target);
    return true;
  }

  /** The rate limit alone, for WebSocket upgrades: the seconds to wait, or 0. */
  retryAfter(app: CompiledApp, client: string): number {
    const limiter = this.policies.get(app)?.limiter ?? null;
    return limiter === null ? 0 : limiter.take(client);
  }
}

function countBody(req: EdgeRequest, max: number, target: BodyLimitTarget): void {
  let seen = 0;
  // Counted where Node's parser hands each chunk to the stream, not with a 'data' listener: that would
  // start the flow before the upstream client is attached and lose the first chunks.
  const body = bodyStream(req);
  const push = body.push;
  body.push = function countingPush(this: Readable, chunk: unknown, encoding?: BufferEncoding): boolean {
    if (chunk !== null && Buffer.isBuffer(chunk) && seen <= max) {
      seen += chunk.length;
      if (seen > max) target.bodyTooLarge(max);
    }
    return push.call(this, chunk, encoding);
  };
}
