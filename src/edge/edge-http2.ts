import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer, type Http2Server, type ServerHttp2Session } from "node:http2";
import type { Server as NetServer, Socket } from "node:net";
import type { Duplex } from "node:stream";
import type { TLSSocket } from "node:tls";
import { guardSession, H2_FLOOD_LIMITS, H2_SETTINGS } from "./h2-guard.ts";
import { EdgeH2Request } from "./h2-request.ts";
import { EdgeH2Response } from "./proxy-exchange.ts";

/** What an environment's listener takes from its limits for HTTP/2 connections. */
export interface H2Limits {
  idleTimeoutMs: number;
  maxHeaderBytes: number;
}

/** The client connection preface of HTTP/2 with prior knowledge (RFC 9113 §3.4). */
const PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");

/**
 * HTTP/2 for one listener: connections are accepted by the listener's own server (the TLS one hands over those
 * whose ALPN picked h2; the plain one those that open with the prior-knowledge preface) and handed to a node:http2
 * server that never listens. Its compatibility API turns each stream into a request and response
 * (EdgeH2Request, EdgeH2Response) for the same proxy path as HTTP/1.1: routing, sticky split, pinning,
 * limits, measurement, spans and the HTTP/1.1 keep-alive upstreams are shared, not duplicated.
 */
export class Http2Front {
  private readonly server: Http2Server<typeof IncomingMessage, typeof ServerResponse, typeof EdgeH2Request, typeof EdgeH2Response>;
  private readonly sessions = new Set<ServerHttp2Session>();
  private limits: H2Limits;
  private closing = false;

  constructor(onRequest: (req: EdgeH2Request, res: EdgeH2Response) => void, limits: H2Limits) {
    this.limits = limits;
    this.server = createServer({
      Http2ServerRequest: EdgeH2Request,
      Http2ServerResponse: EdgeH2Response,
      settings: sessionSettings(limits),
      maxHeaderListPairs: H2_SETTINGS.maxHeaderListPairs,
      maxSessionRejectedStreams: H2_SETTINGS.maxSessionRejectedStreams,
      maxSessionInvalidFrames: H2_SETTINGS.maxSessionInvalidFrames,
      // nghttp2's own rapid-reset limit (RST_STREAM frames received), the same as the edge's count of cancelled streams.
      streamResetBurst: H2_FLOOD_LIMITS.reset.burst,
      streamResetRate: H2_FLOOD_LIMITS.reset.perSecond,
    });
    // CONNECT never gets here: node:http2's compatibility layer answers it 405 itself (no 'connect' listener), which
    // is right: the edge is not a forward proxy, and WebSocket over HTTP/2 (extended CONNECT) is not offered.
    this.server.on("request", onRequest);
    this.server.on("session", (session: ServerHttp2Session) => this.track(session));
    // A broken or abusive peer ends its own session; nothing else is affected, nothing to report.
    this.server.on("sessionError", () => {});
  }

  /** Takes over an accepted connection (ALPN chose h2, or it opened with the prior-knowledge preface). */
  accept(socket: Duplex): void {
    this.server.emit("connection", socket);
  }

  /** New limits apply to sessions opened from now on, as HTTP/1.1's do to new connections. */
  setLimits(limits: H2Limits): void {
    this.limits = limits;
    this.server.updateSettings(sessionSettings(limits));
  }

  /**
   * The listener is closing: every session gets GOAWAY now (clients send new requests on a new connection,
   * to the listener or edge that takes over, and may retry any stream above its last-stream id), its open
   * streams finish, and what is still open at the drain deadline is ended.
   */
  close(drainMs: number): void {
    this.closing = true;
    for (const session of this.sessions) session.close();
    setTimeout(() => {
      for (const session of this.sessions) session.destroy();
    }, drainMs).unref();
  }

  private track(session: ServerHttp2Session): void {
    this.sessions.add(session);
    session.once("close", () => this.sessions.delete(session));
    guardSession(session);
    session.setTimeout(this.limits.idleTimeoutMs, () => session.close());
    if (this.closing) session.close();
  }
}

function sessionSettings(limits: H2Limits): { maxConcurrentStreams: number; maxHeaderListSize: number; enablePush: boolean } {
  // maxHeaderListSize bounds the decoded header list, which is what an HPACK bomb inflates (Node refuses the
  // stream with ENHANCE_YOUR_CALM past it), the same number as HTTP/1.1's max_header_size.
  return { maxConcurrentStreams: H2_SETTINGS.maxConcurrentStreams, maxHeaderListSize: limits.maxHeaderBytes, enablePush: false };
}

/**
 * HTTP/2 over TLS: the server offers h2 by ALPN (before http/1.1); connections that chose it go to `front`,
 * the others to the HTTPS server's own HTTP/1.1 handling. The server must be created with
 * `ALPNProtocols: ["h2", "http/1.1"]`.
 */
export function routeAlpnH2(server: NetServer, front: Http2Front): void {
  const http1 = server.listeners("secureConnection") as ((socket: TLSSocket) => void)[];
  server.removeAllListeners("secureConnection");
  server.on("secureConnection", (socket: TLSSocket) => {
    if (socket.alpnProtocol === "h2") return front.accept(socket);
    for (const listener of http1) listener.call(server, socket);
  });
}

/**
 * Cleartext HTTP/2 with prior knowledge on an HTTP/1.1 port: a connection whose first bytes are the HTTP/2
 * preface goes to `front`, any other to the HTTP server's own handling, with what was read put back. Call right
 * after creating the server, before other 'connection' listeners. A connection that sends nothing is held no
 * longer than one that sends headers slowly.
 */
export function routePriorKnowledgeH2(server: NetServer, front: Http2Front, firstBytesTimeoutMs: () => number): void {
  const http1 = server.listeners("connection") as ((socket: Socket) => void)[];
  server.removeAllListeners("connection");
  server.on("connection", (socket: Socket) => {
    const onError = (): void => void socket.destroy();
    socket.on("error", onError);
    const timer = setTimeout(() => socket.destroy(), firstBytesTimeoutMs());
    timer.unref();
    let seen: Buffer = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      seen = seen.length === 0 ? chunk : Buffer.concat([seen, chunk]);
      const compared = Math.min(seen.length, PREFACE.length);
      const h2 = seen.subarray(0, compared).equals(PREFACE.subarray(0, compared));
      // A prefix of the preface so far (say "PR" of "PRI *" or of "PROPFIND"): wait for the rest.
      if (h2 && compared < PREFACE.length) return;
      clearTimeout(timer);
      socket.off("data", onData);
      socket.off("error", onError);
      socket.pause();
      socket.unshift(seen);
      if (h2) return front.accept(socket);
      for (const listener of http1) listener.call(server, socket);
      // node:http reads what was put back through its 'data' listener, which a paused socket never calls.
      socket.resume();
    };
    socket.on("data", onData);
    socket.once("close", () => clearTimeout(timer));
  });
}
