import type { EdgeReply, EdgeRequest } from "./edge-request.types.ts";
import { bodyStream } from "./h1-request.ts";
import { z } from "zod";
import type { CompiledEnvironment } from "./compiled-table.ts";
import { sendEdgeError } from "./proxy-error-response.ts";
import { RateLimiter } from "./rate-limiter.ts";
import { RUM_BEACON_PATH, RUM_SCRIPT_PATH } from "./rum-inject.ts";
import { rumScript } from "./rum-script.ts";
import { RUM_VITALS, type RumStats } from "./rum-stats.ts";
import { verifyRumToken } from "./rum-token.ts";

/** A beacon carries at most 10 metrics and an error count: a few hundred bytes. */
export const RUM_BEACON_MAX_BYTES = 4096;
/** Per client address and worker: a page sends a beacon or two; a burst covers many tabs behind one NAT. */
const BEACON_RATE = { perSecond: 2, burst: 30 };
/** Past these a value is no measurement (a minute-long LCP is noise or a forgery), and is refused. */
const MAX_MS = 120_000;
const MAX_CLS = 100;

/** What the beacon sends (rum-script.ts): token, page path, metrics, JS errors since the last beacon. */
const beaconSchema = z
  .object({
    t: z.string().max(200),
    p: z.string().max(2000).optional(),
    m: z
      .array(z.object({ n: z.enum(RUM_VITALS), v: z.number().finite().min(0) }).strict())
      .max(10)
      .default([]),
    e: z.number().int().min(0).max(100).default(0),
  })
  .strict();

export interface RumContext {
  readonly key: Buffer;
  readonly stats: RumStats;
  readonly limiter: RateLimiter;
  readonly nowSec: () => number;
}

export function createRumContext(key: Buffer, stats: RumStats): RumContext {
  return { key, stats, limiter: new RateLimiter(BEACON_RATE), nowSec: () => Math.floor(Date.now() / 1000) };
}

type Fail = (status: number, code: RumCode, message: string) => void;
type RumCode = "bad_request" | "payload_too_large" | "rate_limited" | "rum_forbidden" | "rum_method_not_allowed";

/**
 * The edge's own answers under /_rampart/ in an environment with a RUM app: the reporter script, and the beacon.
 * Everything a beacon can get wrong is a 4xx (never a 5xx): wrong method 405, over 4 KiB 413, over the rate 429,
 * another site's Origin or a token this edge did not sign for this environment 403, anything malformed 400.
 * Returns false for any other path (routed as usual).
 */
/** An HTTP/1.1 or HTTP/2 answer (edge-request.types.ts) that can also end with bytes. */
type RumReply = EdgeReply & { end(chunk: Buffer | string): unknown };

export function handleRum(
  ctx: RumContext,
  env: CompiledEnvironment,
  req: EdgeRequest,
  res: RumReply,
  path: string,
  requestId: string,
): boolean {
  const fail: Fail = (status, code, message) => {
    // The rest of an oversized or refused body is not read: the connection closes after the answer.
    res.shouldKeepAlive = false;
    sendEdgeError(req, res, status, code, message, requestId, undefined);
  };
  if (path === RUM_SCRIPT_PATH) {
    serveScript(req, res, fail);
    return true;
  }
  if (path !== RUM_BEACON_PATH) return false;
  if (req.method !== "POST") {
    res.setHeader("allow", "POST");
    fail(405, "rum_method_not_allowed", `${RUM_BEACON_PATH} takes POST (navigator.sendBeacon), not ${req.method ?? ""}`);
    return true;
  }
  const client = req.socket.remoteAddress ?? "";
  const wait = ctx.limiter.take(client);
  if (wait > 0) {
    res.setHeader("retry-after", String(wait));
    fail(429, "rate_limited", `too many RUM beacons from ${client}`);
    return true;
  }
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== "null" && !sameOrigin(origin, req.headers.host)) {
    fail(403, "rum_forbidden", `a beacon from ${origin.slice(0, 200)} is not for this site (${req.headers.host ?? ""})`);
    return true;
  }
  const declared = Number(req.headers["content-length"] ?? "0");
  if (declared > RUM_BEACON_MAX_BYTES) {
    fail(413, "payload_too_large", `a RUM beacon is at most ${RUM_BEACON_MAX_BYTES} bytes`);
    return true;
  }
  readBody(req, (body) => {
    if (body === null) return fail(413, "payload_too_large", `a RUM beacon is at most ${RUM_BEACON_MAX_BYTES} bytes`);
    accept(ctx, env, body, fail, res);
  });
  return true;
}

function accept(ctx: RumContext, env: CompiledEnvironment, body: Buffer, fail: Fail, res: RumReply): void {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString("utf8"));
  } catch {
    return fail(400, "bad_request", "a RUM beacon is a JSON object {t, p, m, e}");
  }
  const beacon = beaconSchema.safeParse(parsed);
  if (!beacon.success) {
    const issue = beacon.error.issues[0];
    return fail(400, "bad_request", `invalid RUM beacon: ${issue?.path.join(".") || "body"}: ${issue?.message ?? "invalid"}`);
  }
  const { t, m, e } = beacon.data;
  const attribution = verifyRumToken(ctx.key, env.name, t, ctx.nowSec());
  if (typeof attribution === "string") return fail(403, "rum_forbidden", `RUM beacon refused: ${attribution}`);
  const app = env.routes.find((r) => r.app.name === attribution.app)?.app;
  if (app === undefined || !app.rum) return fail(403, "rum_forbidden", `RUM beacon refused: ${attribution.app} has no rum: true here`);
  for (const metric of m) {
    if (metric.v > (metric.n === "cls" ? MAX_CLS : MAX_MS)) return fail(400, "bad_request", `${metric.n} ${metric.v} is out of range`);
  }
  for (const metric of m) ctx.stats.record(env.name, app.name, attribution.release, metric.n, metric.v);
  if (e > 0) ctx.stats.record(env.name, app.name, attribution.release, "js_errors", e);
  res.writeHead(204, { "cache-control": "no-store" });
  res.end();
}

function serveScript(req: EdgeRequest, res: RumReply, fail: Fail): void {
  if (req.method !== "GET" && req.method !== "HEAD") {
    res.setHeader("allow", "GET, HEAD");
    return fail(405, "rum_method_not_allowed", `${RUM_SCRIPT_PATH} takes GET`);
  }
  const script = rumScript();
  res.writeHead(200, {
    "content-type": "text/javascript; charset=utf-8",
    "content-length": script.length,
    "cache-control": "public, max-age=3600",
    "x-content-type-options": "nosniff",
  });
  if (req.method === "HEAD") res.end();
  else res.end(script);
}

/** The body, or null once it is over the limit (a chunked one is stopped there, not read to its end). */
function readBody(req: EdgeRequest, done: (body: Buffer | null) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let finished = false;
  const finish = (body: Buffer | null): void => {
    if (finished) return;
    finished = true;
    done(body);
  };
  const body = bodyStream(req);
  body.on("data", (chunk: Buffer) => {
    size += chunk.length;
    if (size > RUM_BEACON_MAX_BYTES) {
      body.pause();
      return finish(null);
    }
    chunks.push(chunk);
  });
  body.on("end", () => finish(Buffer.concat(chunks)));
  body.on("error", () => {});
}

function sameOrigin(origin: string, host: string | undefined): boolean {
  if (host === undefined) return false;
  try {
    return new URL(origin).host.toLowerCase() === host.toLowerCase();
  } catch {
    return false;
  }
}
