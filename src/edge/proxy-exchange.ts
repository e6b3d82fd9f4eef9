import type { IncomingMessage, ServerResponse } from "node:http";
import { pipeline } from "node:stream";
import type { Dispatcher } from "undici";
import { pickInstance, pickRelease, pickRetryInstance } from "./balancer.ts";
import type { CompiledApp, CompiledEnvironment, CompiledInstance } from "./compiled-table.ts";
import { planForwarding, responseHeaders, type ForwardPlan } from "./proxy-headers.ts";
import { sendEdgeError, type EdgeErrorCode } from "./proxy-error-response.ts";
import type { RequestStats } from "./request-stats.ts";
import { matchRoute, originFormTarget } from "./route-matcher.ts";
import type { UpstreamRegistry } from "./upstream-registry.ts";

export interface ProxyContext {
  readonly registry: UpstreamRegistry;
  readonly stats: RequestStats;
  /** Every exchange ends exactly once (response finished or connection gone); shutdown counts on it. */
  exchangeEnded(): void;
}

/** Failures that happen before the upstream saw the request, or before it answered: safe to retry for safe methods. */
const RETRYABLE_CODES: ReadonlySet<string> = new Set(["ECONNREFUSED", "ECONNRESET", "EPIPE", "UND_ERR_SOCKET", "UND_ERR_CLOSED"]);
const RETRYABLE_METHODS: ReadonlySet<string> = new Set(["GET", "HEAD", "OPTIONS"]);

const ignore = (): void => {};

export function handleProxyRequest(ctx: ProxyContext, env: CompiledEnvironment, req: IncomingMessage, res: ServerResponse): void {
  new ProxyExchange(ctx, env, req, res).start();
}

/** One client request: route, pick, forward (retrying once when allowed), answer, measure. */
class ProxyExchange {
  private readonly ctx: ProxyContext;
  private readonly env: CompiledEnvironment;
  private readonly req: IncomingMessage;
  private readonly res: ServerResponse;
  private readonly startedAt = performance.now();
  private readonly target: string;
  private readonly plan: ForwardPlan;
  private appName = "";
  private release = 0;
  private instance = "";
  private clientGone = false;
  private abort: AbortController | undefined;

  constructor(ctx: ProxyContext, env: CompiledEnvironment, req: IncomingMessage, res: ServerResponse) {
    this.ctx = ctx;
    this.env = env;
    this.req = req;
    this.res = res;
    this.target = originFormTarget(req.url ?? "/");
    this.plan = planForwarding(req);
  }

  start(): void {
    // An aborted upload emits 'error' on the request; the failure is handled through the response.
    this.req.on("error", ignore);
    this.res.once("close", this.onClose);
    const route = matchRoute(this.env, this.plan.host, this.target);
    if (route === undefined) return this.fail(404, "no_route", `no route for ${this.plan.host ?? ""}${this.target.split("?")[0] ?? ""}`);
    const app = route.app;
    this.appName = app.name;
    const release = pickRelease(app);
    const instance = release === undefined ? undefined : pickInstance(release, this.ctx.registry);
    if (instance === undefined) return this.fail(503, "no_healthy_instance", `${app.name} has no instance to serve this request`);
    this.forward(app, instance, false);
  }

  private forward(app: CompiledApp, instance: CompiledInstance, retried: boolean): void {
    const registry = this.ctx.registry;
    this.release = instance.release;
    this.instance = instance.id;
    registry.begin(instance.id);
    const abort = new AbortController();
    this.abort = abort;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      abort.abort();
    }, app.upstreamTimeoutMs);
    const options: Dispatcher.RequestOptions = {
      path: this.target,
      method: this.req.method ?? "GET",
      headers: this.plan.headers,
      body: this.plan.hasBody ? this.req : null,
      signal: abort.signal,
      // Our own timer bounds the wait for headers; a streaming body may legitimately idle for long.
      headersTimeout: 0,
      bodyTimeout: 0,
    };
    registry
      .pool(instance.id, instance.origin)
      .request(options)
      .then(
        (upstream) => {
          clearTimeout(timer);
          this.respond(instance, upstream);
        },
        (error: unknown) => {
          clearTimeout(timer);
          registry.end(instance.id);
          this.upstreamFailed(app, instance, error, timedOut, retried);
        },
      );
  }

  private respond(instance: CompiledInstance, upstream: Dispatcher.ResponseData): void {
    const registry = this.ctx.registry;
    if (this.clientGone) {
      upstream.body.destroy();
      registry.end(instance.id);
      return;
    }
    try {
      this.res.writeHead(upstream.statusCode, responseHeaders(upstream.headers, this.plan.requestId));
    } catch {
      // Node refuses a status or header value it considers invalid: that is a broken upstream answer.
      upstream.body.destroy();
      registry.end(instance.id);
      return this.fail(502, "bad_gateway", `${this.appName} sent an invalid response`);
    }
    pipeline(upstream.body, this.res, () => registry.end(instance.id));
  }

  private upstreamFailed(app: CompiledApp, instance: CompiledInstance, error: unknown, timedOut: boolean, retried: boolean): void {
    if (this.clientGone) return;
    if (timedOut) return this.fail(504, "gateway_timeout", `${app.name} did not answer within ${app.upstreamTimeoutMs} ms`);
    const code = errorCode(error);
    const registry = this.ctx.registry;
    if (code === "ECONNREFUSED") registry.markDown(instance.id);
    if (!retried && RETRYABLE_CODES.has(code) && !this.plan.hasBody && RETRYABLE_METHODS.has(this.req.method ?? "")) {
      const other = pickRetryInstance(app, instance, registry);
      if (other !== undefined) return this.forward(app, other, true);
    }
    this.fail(502, "bad_gateway", `${app.name} failed to answer (${code})`);
  }

  private fail(status: number, code: EdgeErrorCode, message: string): void {
    sendEdgeError(this.req, this.res, status, code, message, this.plan.requestId, this.plan.accept);
  }

  private readonly onClose = (): void => {
    const res = this.res;
    if (!res.writableFinished) {
      this.clientGone = true;
      this.abort?.abort();
    }
    // 499 (as nginx does): the client left before any status line was sent.
    const status = res.headersSent ? res.statusCode : 499;
    this.ctx.stats.record(this.env.name, this.appName, this.release, this.instance, status, performance.now() - this.startedAt);
    this.ctx.exchangeEnded();
  };
}

function errorCode(error: unknown): string {
  if (typeof error !== "object" || error === null) return "UNKNOWN";
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string") return code;
  // Happy-eyeballs connects (a host name with several addresses) fail with an AggregateError.
  if (error instanceof AggregateError) return errorCode(error.errors[0]);
  return "UNKNOWN";
}
