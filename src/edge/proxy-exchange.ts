import { timingSafeEqual } from "node:crypto";
import { ServerResponse, type IncomingHttpHeaders, type IncomingMessage } from "node:http";
import { Http2ServerResponse } from "node:http2";
import type { Dispatcher } from "undici";
import { pickRetryInstance } from "./balancer.ts";
import type { CompiledApp, CompiledEnvironment, CompiledInstance } from "./compiled-table.ts";
import { isFailedRequest } from "../shared/measurement.ts";
import type { FailedUsers } from "./failed-users.ts";
import type { EdgeReply, EdgeRequest } from "./edge-request.types.ts";
import type { EdgeH2Request } from "./h2-request.ts";
import type { FlagVariantStats } from "./flag-variant-stats.ts";
import { bodyStream } from "./h1-request.ts";
import { chooseInstance } from "./instance-choice.ts";
import type { SpanRecorder } from "./span-recorder.ts";
import {
  allowUnderscoreHeaders,
  planForwarding,
  requestHead,
  writeResponseHead,
  writeResponseHeadFlat,
  type ForwardPlan,
} from "./proxy-headers.ts";
import { sendEdgeError, type EdgeErrorCode } from "./proxy-error-response.ts";
import type { AccessLog, EnvAccessLog } from "./access-log.ts";
import { dropApiKeyHeaders, SUBJECT_HEADER, type AuthOutcome, type GatewayAuth } from "./gateway-auth.ts";
import type { RequestGuard } from "./request-guard.ts";
import { handleRum, type RumContext } from "./rum-beacon.ts";
import { prepareFlat, prepareObject, rumTag, RumInjector } from "./rum-inject.ts";
import { signRumToken } from "./rum-token.ts";
import type { RequestStats, SeriesSlot } from "./request-stats.ts";
import { isEventStream, isEventStreamFlat, type DrainableStream, type StreamRegistry } from "./stream-drain.ts";
import { matchRoute, originFormTarget } from "./route-matcher.ts";
import type { UpstreamConnection, UpstreamExchange } from "./upstream-connection.ts";
import type { UpstreamRegistry } from "./upstream-registry.ts";

export interface ProxyContext {
  readonly registry: UpstreamRegistry;
  readonly stats: RequestStats;
  readonly flagStats: FlagVariantStats;
  readonly failedUsers: FailedUsers;
  readonly spans: SpanRecorder;
  /** Rate limit and body size per app (request-guard.ts), checked once the request is routed. */
  readonly guard: RequestGuard;
  /** SSE responses per instance, ended cleanly at their instance's drain deadline (stream-drain.ts). */
  readonly streams: StreamRegistry;
  /** Authentication per app (gateway-auth.ts), checked after the rate limit by address. */
  readonly gateway: GatewayAuth;
  /** The environments' access logs (access-log.ts). */
  readonly accessLog: AccessLog;
  /** Real-user monitoring: the signing key, the beacons' measurements and rate limit (rum-beacon.ts). */
  readonly rum: RumContext;
  /** Every exchange ends exactly once (response finished or connection gone); shutdown counts on it. */
  exchangeEnded(): void;
}

/** Failures that happen before the upstream saw the request, or before it answered: safe to retry for safe methods. */
const RETRYABLE_CODES: ReadonlySet<string> = new Set(["ECONNREFUSED", "ECONNRESET", "EPIPE", "UND_ERR_SOCKET", "UND_ERR_CLOSED"]);
const RETRYABLE_METHODS: ReadonlySet<string> = new Set(["GET", "HEAD", "OPTIONS"]);
/** Attempts of one retryable request on distinct instances: bounds a request's work when a whole release is dying. */
const MAX_ATTEMPTS = 8;
const CLIENT_GONE = new Error("client closed the connection");
const STREAM_DRAINED = new Error("stream closed at the instance's drain deadline");
const BODY_TOO_LARGE = new Error("request body over the app's limit");

const ignore = (): void => {};

/**
 * The response class of the edge's listeners: it carries its exchange, so one shared 'close' listener
 * (called with the response as `this`) serves every request instead of a closure per request.
 */
export class EdgeResponse extends ServerResponse<IncomingMessage> {
  exchange: ProxyExchange | undefined;
}

/** The same for an HTTP/2 stream (edge-http2.ts, node:http2's compatibility API). */
export class EdgeH2Response extends Http2ServerResponse<EdgeH2Request> {
  exchange: ProxyExchange | undefined;
  /** Nothing to do over HTTP/2: a stream ends on its own frame boundary, the connection carries on. */
  shouldKeepAlive = true;

  /** Sends the head now (an event stream's, before its first event); missing from @types/node's compat class. */
  flushHeaders(): void {
    if (!this.headersSent) this.writeHead(this.statusCode);
  }
}

/** What the proxy does with either response class. */
interface ProxyResponse extends EdgeReply {
  exchange: ProxyExchange | undefined;
  readonly writableEnded: boolean;
  readonly writableFinished: boolean;
  write(chunk: Buffer): boolean;
  end(): unknown;
  end(chunk: Buffer | string): unknown;
  getHeader(name: string): number | string | string[] | undefined;
  flushHeaders(): void;
  on(event: "close", listener: (this: ProxyResponse) => void): unknown;
  once(event: "drain" | "finish", listener: (this: ProxyResponse) => void): unknown;
}

function onResponseClose(this: ProxyResponse): void {
  this.exchange?.closed();
}

function onResponseDrain(this: ProxyResponse): void {
  this.exchange?.drained();
}

export function handleProxyRequest(ctx: ProxyContext, env: CompiledEnvironment, req: EdgeRequest, res: ProxyResponse): void {
  const exchange = new ProxyExchange(ctx, env, req, res);
  res.exchange = exchange;
  res.on("close", onResponseClose);
  exchange.start();
}

/**
 * One client request: route, pick, forward (retrying once when allowed), answer, measure. The upstream's
 * status, headers and body chunks are written straight to the client's response, with no intermediate
 * stream, promise or per-request timer. A request without a body goes through the edge's own client
 * (upstream-connection.ts); one with a body through undici, this object being the dispatch handler of
 * both (undici's headers timeout is the upstream timeout).
 */
class ProxyExchange implements Dispatcher.DispatchHandler, UpstreamExchange, DrainableStream {
  private readonly ctx: ProxyContext;
  private readonly env: CompiledEnvironment;
  private readonly req: EdgeRequest;
  private readonly res: ProxyResponse;
  private readonly startedAt = performance.now();
  private readonly target: string;
  private readonly plan: ForwardPlan;
  private app: CompiledApp | undefined;
  /** The matched route's index in its app: which of an instance's measurement slots this request uses. */
  private routeIndex = 0;
  private instance: CompiledInstance | undefined;
  /** Where this request is counted: the instance it went to, or the edge's own answer for app/env. */
  private series: SeriesSlot;
  /** True from registry.begin until registry.end for the current instance. */
  private holding = false;
  /** The instances this request failed on before any answer (set on the first failure: nothing on the common path). */
  private tried: CompiledInstance[] | undefined;
  private clientGone = false;
  /** The edge answered itself after the upstream had started answering; its later error is moot. */
  private abandoned = false;
  /** An SSE response registered with ctx.streams until it closes. */
  private streaming = false;
  private controller: Dispatcher.DispatchController | undefined;
  /** Set when this response is an HTML page of a RUM app: it adds the tag to the body as it streams. */
  private injector: RumInjector | undefined;
  upstream: UpstreamConnection | undefined;
  /** Who the edge authenticated (gateway-auth.ts), for the access log. */
  private subject: string | undefined;
  /** Response body bytes relayed, and the time spent on the upstream (last attempt): for the access log. */
  private bytes = 0;
  private upstreamAt = 0;
  private upstreamMs: number | null = null;

  constructor(ctx: ProxyContext, env: CompiledEnvironment, req: EdgeRequest, res: ProxyResponse) {
    this.ctx = ctx;
    this.env = env;
    this.req = req;
    this.res = res;
    this.target = originFormTarget(req.url ?? "/");
    this.plan = planForwarding(req, env);
    this.series = env.unrouted;
  }

  start(): void {
    // An aborted upload emits 'error' on the request; the failure is handled through the response.
    if (this.plan.hasBody) bodyStream(this.req).on("error", ignore);
    if (this.env.rum && this.target.startsWith("/_rampart/")) {
      const path = this.target.split("?")[0] ?? "";
      if (handleRum(this.ctx.rum, this.env, this.req, this.res, path, this.plan.requestId)) return;
    }
    const route = matchRoute(this.env, this.plan.host, this.target);
    if (route === undefined) return this.fail(404, "no_route", `no route for ${this.plan.host ?? ""}${this.target.split("?")[0] ?? ""}`);
    const app = route.app;
    this.app = app;
    this.routeIndex = route.index;
    this.series = app.unserved[route.index] ?? this.env.unrouted;
    if (app.underscoresInHeaders) allowUnderscoreHeaders(this.plan);
    if (!this.ctx.guard.admit(app, this.req, this.res, this.plan.requestId, this.plan.accept, this)) return;
    const verdict = this.ctx.gateway.check(app, this.req, this.target);
    if (verdict instanceof Promise) return void verdict.then((v) => this.authenticated(app, v));
    this.authenticated(app, verdict);
  }

  /** After authentication: refused by the edge, or on to an instance with the verified subject. */
  private authenticated(app: CompiledApp, verdict: AuthOutcome): void {
    if (this.clientGone) return;
    if (verdict.kind === "refuse") {
      if (verdict.challenge !== undefined) this.res.setHeader("www-authenticate", verdict.challenge);
      if (verdict.retryAfter !== undefined) this.res.setHeader("retry-after", String(verdict.retryAfter));
      // The body will not be read: nothing after it on this connection can be trusted as a request boundary.
      if (this.plan.hasBody) this.res.shouldKeepAlive = false;
      return this.fail(verdict.status, verdict.code, verdict.message);
    }
    if (verdict.via === "api_key") dropApiKeyHeaders(this.plan);
    if (verdict.subject !== undefined) {
      this.subject = verdict.subject;
      this.plan.headers.push(SUBJECT_HEADER, verdict.subject);
    }
    const choice = chooseInstance(this.env, app, this.req, this.plan, this.ctx.registry);
    if (typeof choice === "string") return this.fail(503, "no_healthy_instance", choice);
    this.forward(app, choice);
  }

  private forward(app: CompiledApp, instance: CompiledInstance): void {
    this.instance = instance;
    this.series = instance.series[this.routeIndex] ?? this.series;
    this.controller = undefined;
    this.upstream = undefined;
    this.ctx.registry.begin(instance.id);
    this.holding = true;
    this.upstreamAt = performance.now();
    const method = this.req.method ?? "GET";
    if (!this.plan.hasBody) {
      const head = requestHead(
        method,
        this.target,
        this.plan.headers,
        this.plan.host === undefined ? `${instance.host}:${instance.port}` : undefined,
      );
      this.ctx.registry.lean(instance).request(this, head, method === "HEAD", app.upstreamTimeoutMs, RETRYABLE_METHODS.has(method));
      return;
    }
    const options: Dispatcher.DispatchOptions = {
      path: this.target,
      method,
      headers: this.plan.headers,
      body: bodyStream(this.req),
      headersTimeout: app.upstreamTimeoutMs,
      // A streaming body (SSE, downloads) may legitimately idle for long.
      bodyTimeout: 0,
    };
    try {
      this.ctx.registry.pool(instance).dispatch(options, this);
    } catch (error) {
      this.onResponseError(undefined, error instanceof Error ? error : new Error(String(error)));
    }
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.clientGone || this.abandoned) controller.abort(CLIENT_GONE);
  }

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders): void {
    // 1xx informational answers are not forwarded; the final status follows.
    if (statusCode < 200) return;
    if (this.instance !== undefined) this.ctx.registry.answered(this.instance.id);
    if (this.clientGone || this.abandoned) return controller.abort(CLIENT_GONE);
    if (this.app?.rum === true) {
      const rewritten = prepareObject(this.req.method ?? "GET", statusCode, headers);
      if (rewritten !== undefined) {
        headers = rewritten;
        this.injector = this.newInjector();
      }
    }
    if (!writeResponseHead(this.res, statusCode, headers, this.plan)) {
      // Node refuses a status or header value it considers invalid: that is a broken upstream answer.
      this.abandoned = true;
      this.release();
      controller.abort(new Error("invalid upstream response head"));
      this.fail(502, "bad_gateway", `${this.app?.name ?? ""} sent an invalid response`);
    } else if (isEventStream(headers["content-type"])) {
      this.trackStream();
    }
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.injector !== undefined) {
      chunk = this.injector.push(chunk);
      if (chunk.length === 0) return;
    }
    this.bytes += chunk.length;
    if (this.res.write(chunk)) return;
    // The client reads slower than the upstream sends: stop reading the upstream until it catches up.
    controller.pause();
    this.res.once("drain", () => controller.resume());
  }

  onResponseEnd(): void {
    this.release();
    this.endBody();
  }

  onResponseError(_controller: Dispatcher.DispatchController | undefined, error: Error): void {
    this.upstreamFailed(errorCode(error));
  }

  onUpstreamHead(status: number, headers: string[]): void {
    if (this.instance !== undefined) this.ctx.registry.answered(this.instance.id);
    if (this.clientGone) return this.upstream?.abort();
    if (this.app?.rum === true && prepareFlat(this.req.method ?? "GET", status, headers)) this.injector = this.newInjector();
    if (!writeResponseHeadFlat(this.res, status, headers, this.plan)) {
      this.abandoned = true;
      this.release();
      this.upstream?.abort();
      this.fail(502, "bad_gateway", `${this.app?.name ?? ""} sent an invalid response`);
    } else if (isEventStreamFlat(headers)) {
      this.trackStream();
    }
  }

  onUpstreamData(chunk: Buffer): boolean {
    if (this.injector !== undefined) {
      chunk = this.injector.push(chunk);
      if (chunk.length === 0) return true;
    }
    this.bytes += chunk.length;
    if (this.res.write(chunk)) return true;
    this.res.once("drain", onResponseDrain);
    return false;
  }

  onUpstreamEnd(): void {
    // The connection is back in its pool and may already carry another exchange: a client that goes away after
    // this (an HTTP/2 stream reset before its answer was flushed) must not abort it.
    this.upstream = undefined;
    this.release();
    this.endBody();
  }

  /** The page's last bytes: what the RUM injector still holds (the tag, at least), then the end. */
  private endBody(): void {
    const rest = this.injector?.end();
    this.injector = undefined;
    if (rest !== undefined && rest.length > 0) this.res.end(rest);
    else this.res.end();
  }

  /** The tag with the token of the release this instance serves, signed for this environment and app. */
  private newInjector(): RumInjector {
    const release = this.instance?.release ?? 0;
    const token = signRumToken(this.ctx.rum.key, this.env.name, this.app?.name ?? "", release, this.ctx.rum.nowSec());
    return new RumInjector(rumTag(token));
  }

  onUpstreamError(code: string): void {
    this.upstream = undefined;
    this.upstreamFailed(code);
  }

  drained(): void {
    this.upstream?.resume();
  }

  private trackStream(): void {
    if (this.instance === undefined) return;
    this.streaming = true;
    this.ctx.streams.add(this.instance.id, this);
    // An event stream's head goes out now, not with its first event: EventSource reports the connection open.
    this.res.flushHeaders();
  }

  /** Drain deadline or edge shutdown: the SSE response ends with its chunked terminator (EventSource reconnects), not a reset. */
  closeGracefully(): void {
    if (this.res.writableEnded) return;
    this.abandoned = true;
    this.controller?.abort(STREAM_DRAINED);
    this.upstream?.abort();
    this.release();
    this.res.end();
  }

  /** A chunked upload outgrew the app's limit (request-guard.ts): 413 unless a status is out, then the upload stops. */
  bodyTooLarge(limit: number): void {
    if (this.clientGone || this.abandoned) return;
    this.abandoned = true;
    this.release();
    // undici destroys the request stream (and with it the client's socket) when aborted: only once the 413 is out.
    const stop = (): void => this.controller?.abort(BODY_TOO_LARGE);
    if (this.res.headersSent) {
      stop();
      return void this.res.destroy();
    }
    this.res.shouldKeepAlive = false;
    this.res.once("finish", stop);
    this.fail(413, "payload_too_large", `request body is over ${this.app?.name ?? "the app"}'s limit of ${limit} bytes`);
  }

  private upstreamFailed(code: string): void {
    this.release();
    if (this.clientGone || this.abandoned) return;
    // The status line is out: cutting the connection is the only honest signal left.
    if (this.res.headersSent) return void this.res.destroy();
    const app = this.app;
    const instance = this.instance;
    if (app === undefined || instance === undefined) return;
    const registry = this.ctx.registry;
    if (code === "UND_ERR_HEADERS_TIMEOUT") {
      // An instance that accepts and never answers (hung, stopped, overloaded) is taken out like one that
      // refuses, so new requests stop piling onto it; it is tried again after the down period.
      registry.markDown(instance.id);
      return this.fail(504, "gateway_timeout", `${app.name} did not answer within ${app.upstreamTimeoutMs} ms`);
    }
    if (code === "ECONNREFUSED") registry.markDown(instance.id);
    if (RETRYABLE_CODES.has(code) && !this.plan.hasBody && RETRYABLE_METHODS.has(this.req.method ?? "")) {
      // Each instance at most once (as nginx's proxy_next_upstream): with two of three killed at once, a retry
      // can land on the other dead one before anything marked it down; the third attempt reaches the live one.
      const tried = (this.tried ??= []);
      tried.push(instance);
      const other = tried.length < MAX_ATTEMPTS ? pickRetryInstance(app, tried, registry) : undefined;
      if (other !== undefined) return this.forward(app, other);
    }
    this.fail(502, "bad_gateway", `${app.name} failed to answer (${code})`);
  }

  /** The response closed: finished, or the client went away first. */
  closed(): void {
    if (this.streaming && this.instance !== undefined) this.ctx.streams.remove(this.instance.id, this);
    if (!this.res.writableFinished) {
      this.clientGone = true;
      this.controller?.abort(CLIENT_GONE);
      this.upstream?.abort();
      this.release();
    }
    // 499 (as nginx does): the client left before any status line was sent.
    const status = this.res.headersSent ? this.res.statusCode : 499;
    const now = performance.now();
    const durationMs = now - this.startedAt;
    const series = this.series;
    // A synthetic check is not a user: proxied and traced like any request, but not in the app's measurements.
    const measured = this.plan.probe === undefined || !isProbeToken(this.plan.probe, this.env.probeToken);
    if (measured) this.ctx.stats.record(series, status, durationMs, now);
    if (measured && this.plan.flags !== undefined)
      this.ctx.flagStats.record(series.env, series.app, series.release, this.plan.flags, status, durationMs);
    if (measured && this.app !== undefined && isFailedRequest(status))
      this.ctx.failedUsers.record(series.env, this.app, series.release, this.req.headers, this.plan.cookie);
    const trace = this.plan.trace;
    if (this.ctx.spans.shouldKeep(trace.sampled, status, durationMs, this.env.traceSlowMs)) {
      this.ctx.spans.add({
        traceId: trace.traceId,
        spanId: trace.spanId,
        parentSpanId: trace.parentSpanId,
        env: this.env.name,
        app: series.app,
        release: series.release,
        instance: series.instance,
        route: series.route,
        method: this.req.method ?? "GET",
        target: this.target,
        status,
        requestId: this.plan.requestId,
        startMs: performance.timeOrigin + this.startedAt,
        durationMs,
      });
    }
    const log = this.ctx.accessLog.of(this.env);
    if (log !== undefined) this.logAccess(log, status, durationMs, series);
    this.res.exchange = undefined;
    this.ctx.exchangeEnded();
  }

  private logAccess(log: EnvAccessLog, status: number, durationMs: number, series: SeriesSlot): void {
    const target = this.target;
    const query = target.indexOf("?");
    log.record({
      startedAtMs: performance.timeOrigin + this.startedAt,
      requestId: this.plan.requestId,
      method: this.req.method ?? "GET",
      host: this.plan.host,
      path: query === -1 ? target : target.slice(0, query),
      status,
      // The edge's own answers carry their length; relayed bodies are counted as they pass.
      bytes: this.instance === undefined ? Number(this.res.getHeader("content-length") ?? 0) : this.bytes,
      durationMs,
      upstreamMs: this.upstreamMs,
      app: series.app,
      release: series.release,
      instance: series.instance,
      client: this.req.socket.remoteAddress ?? "",
      subject: this.subject,
    });
  }

  private release(): void {
    if (!this.holding || this.instance === undefined) return;
    this.holding = false;
    this.upstreamMs = performance.now() - this.upstreamAt;
    this.ctx.registry.end(this.instance.id);
  }

  private fail(status: number, code: EdgeErrorCode, message: string): void {
    sendEdgeError(this.req, this.res, status, code, message, this.plan.requestId, this.plan.accept);
  }
}

function errorCode(error: unknown): string {
  if (typeof error !== "object" || error === null) return "UNKNOWN";
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string") return code;
  // Happy-eyeballs connects (a host name with several addresses) fail with an AggregateError.
  if (error instanceof AggregateError) return errorCode(error.errors[0]);
  return "UNKNOWN";
}

/** Whether X-Rampart-Probe carries the table's token (constant time: the token is what keeps checks out of metrics). */
function isProbeToken(sent: string, expected: Buffer | null): boolean {
  if (expected === null) return false;
  const given = Buffer.from(sent);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
