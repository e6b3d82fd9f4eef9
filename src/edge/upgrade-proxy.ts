import { connect, type Socket } from "node:net";
import type { Duplex } from "node:stream";
import { rawResponse } from "./client-errors.ts";
import type { CompiledEnvironment, CompiledInstance } from "./compiled-table.ts";
import type { EdgeRequest } from "./edge-request.types.ts";
import { chooseInstance } from "./instance-choice.ts";
import { allowUnderscoreHeaders, planForwarding, requestHead } from "./proxy-headers.ts";
import type { RequestGuard } from "./request-guard.ts";
import { dropApiKeyHeaders, SUBJECT_HEADER, type AuthOutcome, type GatewayAuth } from "./gateway-auth.ts";
import type { RequestStats, SeriesSlot } from "./request-stats.ts";
import { matchRoute, originFormTarget } from "./route-matcher.ts";
import type { StreamRegistry } from "./stream-drain.ts";
import type { UpstreamRegistry } from "./upstream-registry.ts";
import { WebSocketTunnel } from "./websocket-tunnel.ts";

export interface UpgradeContext {
  readonly registry: UpstreamRegistry;
  readonly stats: RequestStats;
  readonly streams: StreamRegistry;
  readonly guard: RequestGuard;
  readonly gateway: GatewayAuth;
}

const AUTH_REASONS: Record<number, string> = {
  401: "Unauthorized",
  403: "Forbidden",
  429: "Too Many Requests",
  503: "Service Unavailable",
};

/** The longest upstream response head accepted for an upgrade answer. */
const MAX_HEAD_BYTES = 64 * 1024;
const HEAD_END = Buffer.from("\r\n\r\n");

/**
 * A WebSocket upgrade: routed and balanced like a request, counted as outstanding on its instance for as
 * long as the tunnel lives (so the control plane sees the instance busy while it drains). The client's
 * bytes go upstream only once the instance answered 101: an upstream that refuses the upgrade never
 * reads what the client sent after its head as further requests (the upgrade-smuggling pattern).
 */
export function handleUpgrade(ctx: UpgradeContext, env: CompiledEnvironment, req: EdgeRequest, socket: Duplex, head: Buffer): void {
  socket.on("error", () => socket.destroy());
  const startedAt = performance.now();
  const plan = planForwarding(req, env);
  const target = originFormTarget(req.url ?? "/");
  const refuse = (status: number, reason: string, message: string, extra?: Record<string, string>): void => {
    socket.end(rawResponse(status, reason, message, { "x-request-id": plan.requestId, ...extra }));
    setTimeout(() => socket.destroy(), 1_000).unref();
  };
  const route = matchRoute(env, plan.host, target);
  if (route === undefined) {
    ctx.stats.record(env.unrouted, 404, performance.now() - startedAt, performance.now());
    return refuse(404, "Not Found", `no route for ${plan.host ?? ""}${target.split("?")[0] ?? ""}`);
  }
  const app = route.app;
  if (app.underscoresInHeaders) allowUnderscoreHeaders(plan);
  const retryAfter = ctx.guard.retryAfter(app, req.socket.remoteAddress ?? "");
  if (retryAfter > 0) {
    ctx.stats.record(app.unserved[route.index] ?? env.unrouted, 429, performance.now() - startedAt, performance.now());
    return refuse(429, "Too Many Requests", `too many requests to ${app.name} from this address`, { "retry-after": String(retryAfter) });
  }
  // Authenticated like a request (gateway-auth.ts): the instance never sees an unauthenticated upgrade.
  const authenticated = (verdict: AuthOutcome): void => {
    if (verdict.kind === "refuse") {
      ctx.stats.record(app.unserved[route.index] ?? env.unrouted, verdict.status, performance.now() - startedAt, performance.now());
      const extra: Record<string, string> = {};
      if (verdict.challenge !== undefined) extra["www-authenticate"] = verdict.challenge;
      if (verdict.retryAfter !== undefined) extra["retry-after"] = String(verdict.retryAfter);
      return refuse(verdict.status, AUTH_REASONS[verdict.status] ?? "Unauthorized", verdict.message, extra);
    }
    if (verdict.via === "api_key") dropApiKeyHeaders(plan);
    if (verdict.subject !== undefined) plan.headers.push(SUBJECT_HEADER, verdict.subject);
    // Pinned, sticky and standby like a request. A sticky id made here cannot be set (the 101 is the instance's
    // answer); browsers got the cookie with the page that opens the socket.
    const choice = chooseInstance(env, app, req, plan, ctx.registry);
    if (typeof choice === "string") {
      ctx.stats.record(app.unserved[route.index] ?? env.unrouted, 503, performance.now() - startedAt, performance.now());
      return refuse(503, "Service Unavailable", choice);
    }
    const instance = choice;
    const headers = [...plan.headers, "connection", "Upgrade", "upgrade", "websocket"];
    const requestText = requestHead(
      req.method ?? "GET",
      target,
      headers,
      plan.host === undefined ? `${instance.host}:${instance.port}` : undefined,
    );
    const series = instance.series[route.index] ?? env.unrouted;
    new UpgradeAttempt(ctx, instance, series, socket, head, startedAt, app.upstreamTimeoutMs, refuse).start(requestText);
  };
  const verdict = ctx.gateway.check(app, req, target);
  if (verdict instanceof Promise) void verdict.then(authenticated);
  else authenticated(verdict);
}

type Refuse = (status: number, reason: string, message: string) => void;

/** From connecting to the instance until its answer to the upgrade: a tunnel on 101, else the answer relayed and both ends closed. */
class UpgradeAttempt {
  private readonly ctx: UpgradeContext;
  private readonly instance: CompiledInstance;
  private readonly series: SeriesSlot;
  private readonly client: Duplex;
  private readonly clientHead: Buffer;
  private readonly startedAt: number;
  private readonly timeoutMs: number;
  private readonly refuse: Refuse;
  private readonly upstream: Socket;
  private received: Buffer = Buffer.alloc(0);
  private answered = false;
  private held = true;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    ctx: UpgradeContext,
    instance: CompiledInstance,
    series: SeriesSlot,
    client: Duplex,
    clientHead: Buffer,
    startedAt: number,
    timeoutMs: number,
    refuse: Refuse,
  ) {
    this.ctx = ctx;
    this.instance = instance;
    this.series = series;
    this.client = client;
    this.clientHead = clientHead;
    this.startedAt = startedAt;
    this.timeoutMs = timeoutMs;
    this.refuse = refuse;
    this.upstream = connect({ host: instance.host, port: instance.port, noDelay: true });
  }

  start(requestText: string): void {
    this.ctx.registry.begin(this.instance.id);
    // Nothing from the client is read (so nothing is forwarded) before the instance accepts the upgrade.
    this.client.pause();
    this.timer = setTimeout(
      () => this.fail(504, "Gateway Timeout", `no answer to the upgrade within ${this.timeoutMs} ms`),
      this.timeoutMs,
    );
    this.upstream.on("data", this.onData);
    this.upstream.on("error", this.onUpstreamError);
    this.upstream.on("close", this.onUpstreamClose);
    this.client.on("close", this.onClientClose);
    this.upstream.write(requestText, "latin1");
  }

  private readonly onUpstreamError = (error: NodeJS.ErrnoException): void => {
    if (error.code === "ECONNREFUSED") this.ctx.registry.markDown(this.instance.id);
    this.fail(502, "Bad Gateway", `upgrade to the instance failed (${error.code ?? "error"})`);
  };

  private readonly onUpstreamClose = (): void =>
    this.fail(502, "Bad Gateway", "the instance closed the connection before answering the upgrade");

  private readonly onClientClose = (): void => this.fail(0, "", "");

  private readonly onData = (chunk: Buffer): void => {
    if (!this.held) return;
    this.received = this.received.length === 0 ? chunk : Buffer.concat([this.received, chunk]);
    const end = this.received.indexOf(HEAD_END);
    if (end === -1) {
      if (this.received.length > MAX_HEAD_BYTES) this.fail(502, "Bad Gateway", "the instance's answer head is too large");
      return;
    }
    const headBytes = this.received.subarray(0, end + 4);
    const rest = this.received.subarray(end + 4);
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(headBytes.toString("latin1"))?.[1] ?? NaN);
    if (!Number.isInteger(status)) return this.fail(502, "Bad Gateway", "the instance sent an invalid answer to the upgrade");
    this.settle();
    this.record(status);
    if (status === 101) {
      new WebSocketTunnel(this.ctx, this.instance, this.client, this.upstream).open(headBytes, rest, this.clientHead);
    } else {
      this.relayRefusal(headBytes, rest);
    }
  };

  /** The instance declined the upgrade: its answer goes to the client as it is, then both connections end. */
  private relayRefusal(headBytes: Buffer, rest: Buffer): void {
    const length = /\r\ncontent-length:[ \t]*(\d+)/i.exec(headBytes.toString("latin1"));
    let left = length === null ? Number.POSITIVE_INFINITY : Number(length[1]) - rest.length;
    this.client.write(headBytes);
    if (rest.length > 0) this.client.write(rest);
    let finished = false;
    const finish = (): void => {
      if (finished) return;
      finished = true;
      this.client.end();
      setTimeout(() => this.client.destroy(), 1_000).unref();
      this.upstream.destroy();
      this.ctx.registry.end(this.instance.id);
    };
    if (left <= 0) return finish();
    this.upstream.on("data", (chunk: Buffer) => {
      this.client.write(chunk);
      left -= chunk.length;
      if (left <= 0) finish();
    });
    this.upstream.on("close", finish);
    this.client.on("close", finish);
  }

  private settle(): void {
    this.held = false;
    this.answered = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.upstream.off("data", this.onData);
    this.upstream.off("close", this.onUpstreamClose);
    this.upstream.off("error", this.onUpstreamError);
    this.upstream.on("error", () => this.upstream.destroy());
    this.client.off("close", this.onClientClose);
  }

  /** Before an answer: the client gets `status` (0: it is gone already) and both ends close. */
  private fail(status: number, reason: string, message: string): void {
    if (this.answered) return;
    this.answered = true;
    this.held = false;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.upstream.destroy();
    this.ctx.registry.end(this.instance.id);
    this.record(status === 0 ? 499 : status);
    if (status === 0) this.client.destroy();
    else this.refuse(status, reason, message);
  }

  private record(status: number): void {
    const now = performance.now();
    this.ctx.stats.record(this.series, status, now - this.startedAt, now);
  }
}
