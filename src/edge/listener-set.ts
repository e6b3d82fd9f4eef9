import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerOptions } from "node:http";
import { createServer as createTlsServer, type Server as TlsServer } from "node:https";
import { Server as NetServer, type Socket } from "node:net";
import type { Duplex } from "node:stream";
import { createServer as createTlsOnlyServer, type SecureContextOptions } from "node:tls";
import { framingProblem, onClientError } from "./client-errors.ts";
import type { CompiledEnvironment, CompiledTable } from "./compiled-table.ts";
import type { EdgeRequest } from "./edge-request.types.ts";
import { Http2Front, routeAlpnH2, routePriorKnowledgeH2 } from "./edge-http2.ts";
import type { H1Request } from "./h1-request.ts";
import type { H1Response } from "./h1-response.ts";
import { H1Server, type H1Limits } from "./h1-server.ts";
import { EdgeResponse, type EdgeH2Response } from "./proxy-exchange.ts";
import { sendEdgeError } from "./proxy-error-response.ts";
import { answerPlainHttp, loadKeyPair, TlsWatcher, type TlsFiles } from "./tls-context.ts";
import { errorMessage } from "../shared/errors.ts";

export interface ListeningAddress {
  env: string;
  bind: string;
  port: number;
}

export interface ListenError {
  env: string;
  port: number;
  message: string;
}

export type RequestHandler = (env: CompiledEnvironment, req: EdgeRequest, res: EdgeResponse | EdgeH2Response | H1Response) => void;
export type UpgradeHandler = (env: CompiledEnvironment, req: IncomingMessage | H1Request, socket: Duplex, head: Buffer) => void;

/**
 * Which server side answers HTTP/1.x: the edge's own (h1-server.ts, the default) or node:http's, kept as a fallback an
 * operator (or the benchmark) selects with RAMPART_EDGE_HTTP1=node. Read once, when the worker starts.
 */
export type Http1Implementation = "own" | "node";
export const HTTP1_IMPLEMENTATION: Http1Implementation = process.env.RAMPART_EDGE_HTTP1 === "node" ? "node" : "own";

export interface ListenerLimits {
  headerTimeoutMs: number;
  idleTimeoutMs: number;
  maxHeaderBytes: number;
}

/** What the routing table says about an environment's listener besides its routes. */
export interface ListenerSettings {
  tls: TlsFiles | null;
  limits: ListenerLimits;
  /** HTTP/2 (edge-http2.ts): by ALPN on a TLS listener, with prior knowledge on a plain one. */
  http2: { tls: boolean; cleartext: boolean };
}

export const DEFAULT_LISTENER_SETTINGS: ListenerSettings = {
  tls: null,
  limits: { headerTimeoutMs: 10_000, idleTimeoutMs: 60_000, maxHeaderBytes: 16 * 1024 },
  http2: { tls: true, cleartext: false },
};

/** Request bodies (uploads) may take long; headers are bounded separately by headerTimeoutMs. */
const REQUEST_TIMEOUT_MS = 300_000;
/** How long a closing listener leaves idle keep-alive connections to their clients before closing them. */
const IDLE_GRACE_MS = 2_000;

type EdgeServer = Server<typeof IncomingMessage, typeof EdgeResponse> | TlsServer<typeof IncomingMessage, typeof EdgeResponse>;

/** A listener's server, its own HTTP/1.x side if it runs one, and the TLS server whose certificate reloads. */
interface Built<S> {
  server: S;
  h1: H1Server | undefined;
  tls: { setSecureContext(options: SecureContextOptions): void } | undefined;
}

interface Listener {
  server: EdgeServer | NetServer;
  /** The edge's own HTTP/1.x server side; undefined when node:http's serves (`server` is then an EdgeServer). */
  h1: H1Server | undefined;
  /** Swapped synchronously for every listener when a table applies, so a request sees one table. */
  env: CompiledEnvironment;
  tlsKey: string;
  watcher: TlsWatcher | undefined;
  /** Takes the listener's HTTP/2 connections, when it serves HTTP/2. */
  h2: Http2Front | undefined;
  closing: boolean;
  /** Connections open right now; once the listener is closing, they count into ListenerSet.lingering. */
  open: number;
}

/**
 * One HTTP server per environment address (bind:port) in this worker, reconciled against each table. Keyed by
 * address rather than name, so renaming an environment keeps its socket and moving one frees the old.
 */
export class ListenerSet {
  private readonly listeners = new Map<string, Listener>();
  private closedOpen = 0;
  private readonly handler: RequestHandler;
  private readonly upgrade: UpgradeHandler | undefined;
  private readonly drainMs: number;
  private readonly http1: Http1Implementation;

  constructor(handler: RequestHandler, drainMs = 10_000, upgrade?: UpgradeHandler, http1: Http1Implementation = HTTP1_IMPLEMENTATION) {
    this.handler = handler;
    this.drainMs = drainMs;
    this.upgrade = upgrade;
    this.http1 = http1;
  }

  /** `settings` by environment name; an environment without an entry gets the defaults. */
  async reconcile(
    table: CompiledTable,
    settings: ReadonlyMap<string, ListenerSettings> = new Map(),
  ): Promise<{ listening: ListeningAddress[]; errors: ListenError[] }> {
    const wanted = new Map<string, CompiledEnvironment>();
    for (const env of table.environments) wanted.set(addressKey(env.bind, env.port), env);
    const toOpen: CompiledEnvironment[] = [];
    const replaced: Listener[] = [];
    for (const [key, env] of wanted) {
      const listener = this.listeners.get(key);
      const wantedSettings = settings.get(env.name) ?? DEFAULT_LISTENER_SETTINGS;
      if (listener === undefined) toOpen.push(env);
      else if (listener.tlsKey !== tlsKey(wantedSettings)) {
        // Plain HTTP to TLS (or other files): a new server binds next to the old one (SO_REUSEPORT), then the old drains.
        replaced.push(listener);
        toOpen.push(env);
      } else {
        listener.env = env;
        applyListenerLimits(listener, wantedSettings.limits);
        listener.h2?.setLimits(wantedSettings.limits);
      }
    }
    for (const [key, listener] of this.listeners) {
      if (wanted.has(key)) continue;
      this.listeners.delete(key);
      this.close(listener);
    }
    const errors: ListenError[] = [];
    await Promise.all(
      toOpen.map(async (env) => {
        const key = addressKey(env.bind, env.port);
        try {
          const opened = await this.open(env, settings.get(env.name) ?? DEFAULT_LISTENER_SETTINGS);
          const old = this.listeners.get(key);
          this.listeners.set(key, opened);
          if (old !== undefined) this.close(old);
        } catch (error) {
          errors.push({ env: env.name, port: env.port, message: errorMessage(error) });
        }
      }),
    );
    // A listener that could not be replaced (say, a bad certificate) keeps serving as it was, with the new routes.
    for (const listener of replaced) {
      const key = addressKey(listener.env.bind, listener.env.port);
      if (this.listeners.get(key) === listener) listener.env = wanted.get(key) ?? listener.env;
    }
    return { listening: this.addresses(), errors };
  }

  addresses(): ListeningAddress[] {
    return [...this.listeners.values()].map((l) => ({ env: l.env.name, bind: l.env.bind, port: l.env.port }));
  }

  /** Stops accepting everywhere; in-flight requests finish (the caller waits for them). */
  closeAll(): void {
    for (const listener of this.listeners.values()) this.close(listener);
    this.listeners.clear();
  }

  private open(env: CompiledEnvironment, settings: ListenerSettings): Promise<Listener> {
    const limits = settings.limits;
    let watcher: TlsWatcher | undefined;
    let h2: Http2Front | undefined;
    const h2Request = (req: EdgeRequest, res: EdgeH2Response): void => this.handler(listener.env, req, res);
    if (settings.http2.tls && settings.tls !== null) h2 = new Http2Front(h2Request, limits);
    if (settings.http2.cleartext && settings.tls === null) h2 = new Http2Front(h2Request, limits);
    const built = this.http1 === "node" ? this.nodeServer(settings, h2, () => listener) : this.ownServer(settings, h2, () => listener);
    const server = built.server;
    const tls = built.tls;
    if (settings.tls !== null && tls !== undefined) {
      watcher = new TlsWatcher(
        settings.tls,
        (pair) => tls.setSecureContext(pair),
        (line) => process.stderr.write(`${line}\n`),
      );
    }
    const listener: Listener = { server, h1: built.h1, env, tlsKey: tlsKey(settings), watcher, h2, closing: false, open: 0 };
    applyListenerLimits(listener, limits);
    server.on("connection", (socket: Duplex) => {
      listener.open++;
      socket.once("close", () => {
        listener.open--;
        if (listener.closing) this.closedOpen--;
      });
    });
    return new Promise((resolve, reject) => {
      const onError = (error: Error): void => {
        server.off("listening", onListening);
        watcher?.stop();
        reject(error);
      };
      const onListening = (): void => {
        server.off("error", onError);
        server.on("error", (error) => process.stderr.write(`edge: listener ${env.bind}:${env.port}: ${errorMessage(error)}\n`));
        resolve(listener);
      };
      server.once("error", onError);
      server.once("listening", onListening);
      // SO_REUSEPORT: every worker binds the same address and the kernel spreads new connections over
      // them, so no process sits between the client and the worker. A process that did not ask for it
      // (another server on the port) still makes this fail with EADDRINUSE.
      server.listen({ host: env.bind, port: env.port, reusePort: true });
    });
  }

  /** node:http's server side (RAMPART_EDGE_HTTP1=node). */
  private nodeServer(settings: ListenerSettings, h2: Http2Front | undefined, listener: () => Listener): Built<EdgeServer> {
    const limits = settings.limits;
    const options: ServerOptions<typeof IncomingMessage, typeof EdgeResponse> = {
      ServerResponse: EdgeResponse,
      maxHeaderSize: limits.maxHeaderBytes,
      // Node checks header and request deadlines on this interval: it bounds how late a slowloris is cut.
      connectionsCheckingInterval: Math.max(50, Math.min(1_000, Math.floor(limits.headerTimeoutMs / 2))),
      // Only WebSocket upgrades are tunnelled; any other Upgrade is served as a plain request (and the header dropped).
      shouldUpgradeCallback: (req) => this.upgrade !== undefined && isWebSocketUpgrade(req),
    };
    if (settings.tls === null) {
      const http = createServer(options);
      if (h2 !== undefined) routePriorKnowledgeH2(http, h2, () => http.headersTimeout);
      this.nodeEvents(http, listener);
      return { server: http, h1: undefined, tls: undefined };
    }
    const alpn = settings.http2.tls ? { ALPNProtocols: ["h2", "http/1.1"] } : {};
    const https = createTlsServer({ ...options, ...loadKeyPair(settings.tls), ...alpn });
    answerPlainHttp(https, () => https.headersTimeout);
    if (h2 !== undefined) routeAlpnH2(https, h2);
    this.nodeEvents(https, listener);
    return { server: https, h1: undefined, tls: https };
  }

  private nodeEvents(server: EdgeServer, listener: () => Listener): void {
    server.on("request", (req: IncomingMessage, res: EdgeResponse) => this.serve(listener(), req, res));
    server.on("clientError", onClientError);
    const upgrade = this.upgrade;
    if (upgrade !== undefined)
      server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => upgrade(listener().env, req, socket, head));
  }

  /** The edge's own server side (h1-server.ts) on a plain net or TLS server, with the same HTTP/2 hand-offs. */
  private ownServer(settings: ListenerSettings, h2: Http2Front | undefined, listener: () => Listener): Built<NetServer> {
    const upgrade = this.upgrade;
    const h1 = new H1Server(
      {
        request: (req, res) => this.serve(listener(), req, res),
        upgrade: upgrade === undefined ? undefined : (req, socket, head) => upgrade(listener().env, req, socket, head),
      },
      h1Limits(settings.limits),
    );
    if (settings.tls === null) {
      const plain = new NetServer();
      plain.on("connection", (socket: Socket) => h1.accept(socket));
      if (h2 !== undefined) routePriorKnowledgeH2(plain, h2, () => h1.limits.headerTimeoutMs);
      return { server: plain, h1, tls: undefined };
    }
    const alpn = settings.http2.tls ? { ALPNProtocols: ["h2", "http/1.1"] } : {};
    const tls = createTlsOnlyServer({ ...loadKeyPair(settings.tls), ...alpn });
    answerPlainHttp(tls, () => h1.limits.headerTimeoutMs);
    tls.on("secureConnection", (socket: Socket) => h1.accept(socket));
    if (h2 !== undefined) routeAlpnH2(tls, h2);
    return { server: tls, h1, tls };
  }

  /** One HTTP/1.x request, from either server side: framing the edge refuses, a closing listener, then the proxy. */
  private serve(listener: Listener, req: IncomingMessage | H1Request, res: EdgeResponse | H1Response): void {
    // A closing listener tells keep-alive clients to reconnect (to the new listener or edge).
    if (listener.closing) res.shouldKeepAlive = false;
    const problem = framingProblem(req);
    if (problem !== undefined) {
      // Framing the upstream could read differently: answer, and end the connection with it.
      res.shouldKeepAlive = false;
      return sendEdgeError(
        req,
        res,
        problem.status,
        problem.status === 501 ? "not_implemented" : "bad_request",
        problem.message,
        randomUUID(),
        undefined,
      );
    }
    // An Upgrade the edge does not tunnel (h2c) is served as a plain request, but the parser has stopped at
    // the upgrade and will never read what follows: the connection ends with this answer instead of hanging.
    if (req.headers.upgrade !== undefined) res.shouldKeepAlive = false;
    this.handler(listener.env, req, res);
  }

  /** Connections still open on listeners that were closed (the caller of closeAll waits for them to end). */
  get lingering(): number {
    return this.closedOpen;
  }

  private close(listener: Listener): void {
    listener.closing = true;
    listener.watcher?.stop();
    const server = listener.server;
    // Stop accepting, but not as http.Server.close() does, which also closes idle keep-alive connections at
    // once: one closed just as its client sends a request on it makes that request fail with a reset. Each
    // connection instead gets `Connection: close` on its next response (a busy client moves within ms); the
    // ones still idle after IDLE_GRACE_MS are closed then, and anything still open after the drain window is cut.
    NetServer.prototype.close.call(server);
    listener.h2?.close(this.drainMs);
    this.closedOpen += listener.open;
    const h1 = listener.h1;
    if (h1 !== undefined) h1.closing = true;
    const connections = h1 ?? (server as EdgeServer);
    setTimeout(() => connections.closeIdleConnections(), IDLE_GRACE_MS).unref();
    setTimeout(() => connections.closeAllConnections(), this.drainMs).unref();
  }
}

/** Limits that can change on a running listener, for whichever server side it runs. */
function applyListenerLimits(listener: Listener, limits: ListenerLimits): void {
  if (listener.h1 !== undefined) listener.h1.setLimits(h1Limits(limits));
  else applyLimits(listener.server as EdgeServer, limits);
}

function h1Limits(limits: ListenerLimits): H1Limits {
  return { ...limits, requestTimeoutMs: Math.max(REQUEST_TIMEOUT_MS, limits.headerTimeoutMs) };
}

/** Limits that can change on a running server: Node reads these properties per connection or per check. */
function applyLimits(server: EdgeServer, limits: ListenerLimits): void {
  server.headersTimeout = limits.headerTimeoutMs;
  server.requestTimeout = Math.max(REQUEST_TIMEOUT_MS, limits.headerTimeoutMs);
  server.keepAliveTimeout = limits.idleTimeoutMs;
  // Undeclared in @types/node, but the server reads it for each new connection's parser.
  (server as unknown as { maxHeaderSize: number }).maxHeaderSize = limits.maxHeaderBytes;
}

function isWebSocketUpgrade(req: IncomingMessage): boolean {
  const upgrade = req.headers.upgrade;
  return req.method === "GET" && upgrade !== undefined && upgrade.toLowerCase() === "websocket";
}

/** What a running listener cannot change: its certificate files and whether it speaks HTTP/2. */
function tlsKey(settings: ListenerSettings): string {
  const tls = settings.tls;
  const h2 = tls === null ? settings.http2.cleartext : settings.http2.tls;
  return `${tls === null ? "" : `${tls.certFile}\u0000${tls.keyFile}`}${h2 ? "\u0000h2" : ""}`;
}

function addressKey(bind: string, port: number): string {
  return `${bind}|${port}`;
}
