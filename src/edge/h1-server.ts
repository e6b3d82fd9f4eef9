import type { Socket } from "node:net";
import { H1Connection, type H1ConnectionHost, type H1Handlers, type H1Limits } from "./h1-connection.ts";

export type { H1Handlers, H1Limits } from "./h1-connection.ts";

/**
 * The edge's own HTTP/1.x server side (instead of node:http's Server): accepts sockets from a net or TLS server,
 * parses with H1RequestParser and answers with H1Response. It keeps node:http's connection rules: keep-alive per
 * version and Connection; pipelined requests answered in order, one at a time; Expect: 100-continue; header,
 * request and idle timeouts checked on one interval for all connections (as node:http's connectionsCheckingInterval).
 */
export class H1Server implements H1ConnectionHost {
  limits: H1Limits;
  /** A closing listener's answers carry Connection: close. */
  closing = false;
  keepAliveLine: string;
  readonly handlers: H1Handlers;
  readonly connections = new Set<H1Connection>();
  private timer: NodeJS.Timeout | undefined;

  constructor(handlers: H1Handlers, limits: H1Limits) {
    this.handlers = handlers;
    this.limits = limits;
    this.keepAliveLine = keepAliveLine(limits.idleTimeoutMs);
  }

  /** New limits apply from the next check and the next connection's parser. */
  setLimits(limits: H1Limits): void {
    this.limits = limits;
    this.keepAliveLine = keepAliveLine(limits.idleTimeoutMs);
    if (this.timer !== undefined) {
      clearInterval(this.timer);
      this.timer = undefined;
      this.startTimer();
    }
  }

  /** Serves a connection (a 'connection' or 'secureConnection' listener). */
  readonly accept = (socket: Socket): void => {
    this.connections.add(new H1Connection(this, socket));
    if (this.timer === undefined) this.startTimer();
  };

  /** Connections with no request in progress are closed (a closing listener's, after its grace period). */
  closeIdleConnections(): void {
    for (const connection of this.connections) if (connection.isIdle) connection.socket.destroy();
  }

  closeAllConnections(): void {
    for (const connection of this.connections) connection.socket.destroy();
  }

  forget(connection: H1Connection): void {
    this.connections.delete(connection);
    if (this.connections.size === 0 && this.timer !== undefined) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  private startTimer(): void {
    // Half the header timeout, within [50 ms, 1 s]: it bounds how late a slowloris is cut, as node:http's does.
    const every = Math.max(50, Math.min(1_000, Math.floor(this.limits.headerTimeoutMs / 2)));
    this.timer = setInterval(() => this.check(), every);
    this.timer.unref();
  }

  private check(): void {
    const now = performance.now();
    for (const connection of this.connections) connection.check(now, this.limits);
  }
}

function keepAliveLine(idleTimeoutMs: number): string {
  return `Keep-Alive: timeout=${Math.floor(idleTimeoutMs / 1000)}\r\n`;
}
