import { connect, type Socket } from "node:net";
import { ResponseParser, type ResponseEvents } from "./response-parser.ts";

/**
 * The edge's own keep-alive client for requests without a body (the bulk of traffic): one request
 * head written in one call, the response parsed by ResponseParser and handed to the exchange through
 * plain method calls. Measured against undici's dispatch it costs about a third less CPU per request
 * (docs/benchmarks.md), because it does only what a proxy needs. Requests with a body still go
 * through undici, which streams and frames uploads.
 */
export interface UpstreamExchange {
  /** The connection carrying the exchange's request (set by send(); changes if it is re-sent). */
  upstream: UpstreamConnection | undefined;
  onUpstreamHead(status: number, headers: string[]): void;
  /** False: the client is slower than the upstream; the connection pauses until resume(). */
  onUpstreamData(chunk: Buffer): boolean;
  onUpstreamEnd(): void;
  /** Before or during the response; `code` as undici names them (ECONNREFUSED, UND_ERR_SOCKET, UND_ERR_HEADERS_TIMEOUT …). */
  onUpstreamError(code: string, message: string): void;
}

/** Idle connections are closed after this, or 1 s before the upstream's own Keep-Alive timeout. */
const KEEP_ALIVE_MS = 4_000;

export class UpstreamConnection implements ResponseEvents {
  private readonly pool: UpstreamPool;
  private readonly socket: Socket;
  private readonly parser = new ResponseParser(this);
  private exchange: UpstreamExchange | undefined;
  private timer: NodeJS.Timeout | undefined;
  private timeoutMs = 0;
  private waitingHead = false;
  private receivedAny = false;
  private closed = false;
  /** What send() got, kept to re-send once on a fresh connection (see fail()). */
  private requestText = "";
  private headRequest = false;
  private resendable = false;
  /** True when this connection already carried a request: the upstream may have closed it meanwhile. */
  private reused = false;
  idleSince = 0;
  keepAliveMs = KEEP_ALIVE_MS;

  constructor(pool: UpstreamPool) {
    this.pool = pool;
    this.socket = connect({ host: pool.host, port: pool.port, noDelay: true });
    this.socket.on("data", (data: Buffer) => this.onData(data));
    this.socket.on("end", () => this.onEnd());
    this.socket.on("error", (error: NodeJS.ErrnoException) => this.onClose(error.code ?? "UND_ERR_SOCKET", error.message));
    this.socket.on("close", () => this.onClose("UND_ERR_SOCKET", "upstream closed the connection"));
  }

  /** Sends a request head; the answer goes to `exchange`. `timeoutMs` bounds connect + waiting for the head. */
  send(exchange: UpstreamExchange, head: string, headRequest: boolean, timeoutMs: number, resendable: boolean): void {
    this.exchange = exchange;
    exchange.upstream = this;
    this.requestText = head;
    this.headRequest = headRequest;
    this.resendable = resendable;
    this.waitingHead = true;
    this.receivedAny = false;
    this.parser.expect(headRequest);
    // One timer per connection, re-armed per request (no timer object per request).
    if (this.timer === undefined || this.timeoutMs !== timeoutMs) {
      if (this.timer !== undefined) clearTimeout(this.timer);
      this.timeoutMs = timeoutMs;
      this.timer = setTimeout(onTimer, timeoutMs, this);
      this.timer.unref();
    } else {
      this.timer.refresh();
    }
    this.socket.write(head, "latin1");
  }

  /** The client went away: the response is not wanted, and a half-read connection cannot be reused. */
  abort(): void {
    this.exchange = undefined;
    this.destroy();
  }

  resume(): void {
    this.socket.resume();
  }

  head(status: number, headers: string[]): void {
    this.waitingHead = false;
    this.exchange?.onUpstreamHead(status, headers);
  }

  body(chunk: Buffer): void {
    const exchange = this.exchange;
    if (exchange !== undefined && !exchange.onUpstreamData(chunk)) this.socket.pause();
  }

  complete(): void {
    const exchange = this.exchange;
    this.exchange = undefined;
    const hint = this.parser.keepAliveHintMs;
    // Kept for at most 4 s, and 1 s less than the upstream said it would keep it (timeout=1 or 0: not at all).
    this.keepAliveMs = hint < 0 ? KEEP_ALIVE_MS : Math.min(KEEP_ALIVE_MS, hint - 1_000);
    if (this.parser.reusable && this.keepAliveMs > 0) {
      this.reused = true;
      // The last chunk may have paused the socket for a slow client (body()), whose 'drain' may never come (an HTTP/2
      // stream reset meanwhile): a connection goes back to the pool reading, or the next exchange's answer is never read.
      this.socket.resume();
      this.pool.release(this);
    } else {
      this.destroy();
    }
    exchange?.onUpstreamEnd();
  }

  error(message: string): void {
    this.fail("UND_ERR_INVALID_RESPONSE", message);
  }

  timedOut(): void {
    if (this.waitingHead && this.exchange !== undefined)
      this.fail("UND_ERR_HEADERS_TIMEOUT", `no response head within ${this.timeoutMs} ms`);
  }

  destroy(): void {
    if (this.closed) return;
    this.closed = true;
    this.pool.forget(this);
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.socket.destroy();
  }

  private onData(data: Buffer): void {
    // Bytes on an idle connection answer nothing we asked: whatever they are, the connection is done.
    if (this.exchange === undefined) return this.destroy();
    this.receivedAny = true;
    this.parser.feed(data);
  }

  private onEnd(): void {
    if (this.exchange === undefined) return this.destroy();
    if (!this.receivedAny) return this.fail("UND_ERR_SOCKET", "upstream closed the connection");
    this.parser.end();
    this.destroy();
  }

  private onClose(code: string, message: string): void {
    if (this.exchange !== undefined && !this.parser.done) this.fail(code, message);
    else this.destroy();
  }

  private fail(code: string, message: string): void {
    const exchange = this.exchange;
    this.exchange = undefined;
    this.destroy();
    if (exchange === undefined) return;
    // A kept-alive connection the upstream closed while it sat idle fails before any byte of the
    // answer: the upstream never saw the request, so a safe request goes once more on a new connection.
    if (this.reused && !this.receivedAny && this.resendable && code !== "UND_ERR_HEADERS_TIMEOUT") {
      return void this.pool.request(exchange, this.requestText, this.headRequest, this.timeoutMs, false, true);
    }
    exchange.onUpstreamError(code, message);
  }
}

function onTimer(connection: UpstreamConnection): void {
  connection.timedOut();
}

/**
 * Keep-alive connections to one instance: the most recently used idle connection first (it is the
 * least likely to have been closed by the upstream). Idle ones are closed by a sweep once a second.
 */
export class UpstreamPool {
  readonly host: string;
  readonly port: number;
  private readonly idle: UpstreamConnection[] = [];
  private readonly all = new Set<UpstreamConnection>();
  private sweeper: NodeJS.Timeout | undefined;
  private closing = false;

  constructor(host: string, port: number) {
    this.host = host;
    this.port = port;
  }

  /** `resendable`: safe to send again if a kept-alive connection turns out closed; `fresh`: skip idle ones. */
  request(exchange: UpstreamExchange, head: string, headRequest: boolean, timeoutMs: number, resendable: boolean, fresh = false): void {
    let connection = fresh ? undefined : this.idle.pop();
    if (connection === undefined) {
      connection = new UpstreamConnection(this);
      this.all.add(connection);
    }
    connection.send(exchange, head, headRequest, timeoutMs, resendable);
  }

  release(connection: UpstreamConnection): void {
    if (this.closing) return connection.destroy();
    connection.idleSince = performance.now();
    this.idle.push(connection);
    if (this.sweeper === undefined) {
      this.sweeper = setInterval(() => this.sweep(), 1_000);
      this.sweeper.unref();
    }
  }

  forget(connection: UpstreamConnection): void {
    this.all.delete(connection);
    const i = this.idle.indexOf(connection);
    if (i !== -1) this.idle.splice(i, 1);
  }

  /** Closes idle connections now and every other one as soon as its response is done. */
  close(): void {
    this.closing = true;
    for (const c of [...this.idle]) c.destroy();
    this.stopSweeping();
  }

  /** Closes every connection at once (shutdown after the drain window). */
  destroy(): void {
    this.closing = true;
    for (const c of [...this.all]) c.destroy();
    this.stopSweeping();
  }

  private sweep(): void {
    const now = performance.now();
    for (const c of [...this.idle]) if (now - c.idleSince >= c.keepAliveMs) c.destroy();
    if (this.idle.length === 0) this.stopSweeping();
  }

  private stopSweeping(): void {
    if (this.sweeper !== undefined) clearInterval(this.sweeper);
    this.sweeper = undefined;
  }
}
