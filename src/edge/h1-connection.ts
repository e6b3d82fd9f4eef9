import { STATUS_CODES } from "node:http";
import type { Socket } from "node:net";
import { rawResponse } from "./client-errors.ts";
import { H1RequestParser, type H1ParseError, type H1ParserHandler, type H1RequestHead } from "./h1-parser.ts";
import { H1BodyStream, H1Request } from "./h1-request.ts";
import { H1Response, type H1Wire } from "./h1-response.ts";

/** What a connection reads from its server (h1-server.ts), each time it needs it: limits can change while it runs. */
export interface H1ConnectionHost {
  readonly limits: H1Limits;
  readonly closing: boolean;
  readonly keepAliveLine: string;
  readonly handlers: H1Handlers;
  forget(connection: H1Connection): void;
}

export interface H1Limits {
  /** From a connection's first byte (or its opening) to the end of the head: slowloris is answered 408. */
  headerTimeoutMs: number;
  /** A keep-alive connection waiting for its next request is closed after this. */
  idleTimeoutMs: number;
  /** From a request's first byte to its last body byte. */
  requestTimeoutMs: number;
  maxHeaderBytes: number;
}

export interface H1Handlers {
  request(req: H1Request, res: H1Response): void;
  /** Takes a WebSocket upgrade: the socket and the bytes after the head are its own. Absent: upgrades are served as requests. */
  upgrade: ((req: H1Request, socket: Socket, head: Buffer) => void) | undefined;
}

/** Header lines per request, node:http's default maxHeadersCount. */
const MAX_HEADERS = 2_000;
/** A client that never reads its error answer does not hold the socket longer than this. */
const ANSWER_LINGER_MS = 1_000;
const CONTINUE = "HTTP/1.1 100 Continue\r\n\r\n";

/** Where a connection is between requests. */
type Phase = "idle" | "head" | "body" | "answer" | "done";

/** One client connection: the parser's handler, and the wire its responses write to. */
export class H1Connection implements H1ParserHandler, H1Wire {
  readonly socket: Socket;
  private readonly server: H1ConnectionHost;
  private readonly parser: H1RequestParser;
  private phase: Phase = "head";
  /** When the phase started (performance.now()); for the request timeout, when the request started. */
  private since: number;
  private requestStart = 0;
  private res: H1Response | undefined;
  private body: H1BodyStream | undefined;
  private complete = false;
  /** Bytes received after a complete request, parsed once it is answered (pipelining). */
  private pending: Buffer | undefined;
  /** The chunk being parsed: body bytes inside it are kept without a copy. */
  private input: Buffer | undefined;
  /** A WebSocket upgrade head just parsed: the socket is handed over once execute returns. */
  private upgrading: H1Request | undefined;
  private ended = false;
  dead = false;

  constructor(server: H1ConnectionHost, socket: Socket) {
    this.server = server;
    this.socket = socket;
    this.since = performance.now();
    this.parser = new H1RequestParser(this, { maxHeaderBytes: server.limits.maxHeaderBytes, maxHeaders: MAX_HEADERS });
    socket.setNoDelay(true);
    socket.on("data", this.onData);
    socket.on("end", this.onEnd);
    socket.on("close", this.onClose);
    socket.on("drain", this.onDrain);
    socket.on("error", this.onError);
  }

  get keepAliveLine(): string {
    return this.server.keepAliveLine;
  }

  /** Still serving requests (not closing, not handed over). */
  private get reading(): boolean {
    return this.phase !== "done" && !this.dead;
  }

  get isIdle(): boolean {
    return this.phase === "idle" || (this.phase === "head" && this.parser.idle);
  }

  check(now: number, limits: H1Limits): void {
    if (this.phase === "idle") {
      if (now - this.since > limits.idleTimeoutMs) this.socket.destroy();
    } else if (this.phase === "head") {
      if (now - this.since > limits.headerTimeoutMs) this.refuse(408, "the request was not received in time");
    } else if (this.phase === "body" && now - this.requestStart > limits.requestTimeoutMs) {
      this.failInRequest(408, "the request was not received in time");
    }
  }

  private readonly onData = (chunk: Buffer): void => {
    if (this.phase === "answer" || this.phase === "done") {
      // A pipelined request: kept until the current one is answered, and nothing more is read meanwhile.
      this.pending = this.pending === undefined ? chunk : Buffer.concat([this.pending, chunk]);
      this.socket.pause();
      return;
    }
    this.feed(chunk);
  };

  private feed(data: Buffer): void {
    if (this.phase === "idle") {
      this.phase = "head";
      this.since = performance.now();
    }
    this.input = data;
    let offset = 0;
    while (offset < data.length) {
      const result = this.parser.execute(offset === 0 ? data : data.subarray(offset));
      if (typeof result !== "number") {
        this.input = undefined;
        return this.parseError(result);
      }
      offset += result;
      const upgrading = this.upgrading;
      if (upgrading !== undefined) {
        this.input = undefined;
        return this.handOver(upgrading, data.subarray(offset));
      }
      if (this.phase === "answer" || this.phase === "done") {
        // Parsed up to the end of a request: what follows waits for its answer.
        if (offset < data.length) {
          this.pending = data.subarray(offset);
          this.socket.pause();
        }
        break;
      }
      // Nothing consumed and nothing to wait for: never spin.
      if (this.dead || result === 0) break;
    }
    this.input = undefined;
  }

  onHead(head: H1RequestHead): void {
    const server = this.server;
    const now = performance.now();
    this.requestStart = this.since;
    this.since = now;
    const handlers = server.handlers;
    if (head.upgrade) {
      if (head.method === "CONNECT") {
        // The edge is no forward proxy: as node:http without a 'connect' listener, the connection is cut.
        this.dead = true;
        this.socket.destroy();
        return;
      }
      if (handlers.upgrade !== undefined && head.method === "GET" && isWebSocket(head.rawHeaders)) {
        this.upgrading = new H1Request(head.method, head.target, head.httpMinor, head.rawHeaders, this.socket, undefined);
        return;
      }
    }
    // A body exists whenever the head frames one (Content-Length: 0 included: the proxy reads the header, not the parser).
    // An upgrade served as a plain request has none: the parser stops reading after its head.
    const framed = head.body.kind !== "none" && !head.upgrade;
    const body = framed ? new H1BodyStream(this.resumeSocket) : undefined;
    const req = new H1Request(head.method, head.target, head.httpMinor, head.rawHeaders, this.socket, body);
    const res = new H1Response(this, head.method, head.httpMinor, head.keepAlive && !head.upgrade && !server.closing);
    this.res = res;
    this.body = body;
    this.complete = !framed && !head.upgrade;
    this.phase = this.complete || head.upgrade ? "answer" : "body";
    if (head.httpMinor === 1) {
      if (head.expectContinue) {
        if (body !== undefined) this.socket.write(CONTINUE, "latin1");
      } else if (hasExpect(head.rawHeaders)) {
        // An expectation the edge cannot meet (RFC 9110 §10.1.1), answered as node:http does.
        res.shouldKeepAlive = false;
        res.writeHead(417);
        res.end();
        return;
      }
    }
    handlers.request(req, res);
  }

  onBody(chunk: Buffer): void {
    const body = this.body;
    if (body === undefined) return;
    const input = this.input;
    // A slice of the socket's own chunk can be kept; one of the parser's carry-over buffer is copied.
    const owned =
      input !== undefined &&
      chunk.buffer === input.buffer &&
      chunk.byteOffset >= input.byteOffset &&
      chunk.byteOffset + chunk.length <= input.byteOffset + input.length;
    if (!body.push(owned ? chunk : Buffer.from(chunk))) this.socket.pause();
  }

  onMessageEnd(): void {
    this.complete = true;
    this.body?.push(null);
    this.body = undefined;
    if (this.phase === "body") this.phase = "answer";
  }

  /** The current response's last bytes are written. */
  readonly lastWritten = (error?: Error | null): void => {
    const res = this.res;
    if (res === undefined) return;
    if (error !== undefined && error !== null) return;
    res.settle(true);
    this.res = undefined;
    if (!res.shouldKeepAlive || !this.complete || this.dead || this.ended) {
      this.phase = "done";
      this.body?.destroy();
      this.socket.destroySoon();
      return;
    }
    this.phase = "idle";
    this.since = performance.now();
    const pending = this.pending;
    if (pending !== undefined) {
      this.pending = undefined;
      this.feed(pending);
    }
    if (this.reading) this.socket.resume();
  };

  private readonly resumeSocket = (): void => {
    if (this.phase === "body") this.socket.resume();
  };

  private readonly onEnd = (): void => {
    this.ended = true;
    const problem = this.parser.finish();
    if (problem !== undefined && (this.phase === "head" || this.phase === "body")) return this.parseError(problem);
    // Nothing in progress: done. A request being answered still gets its answer, then the connection closes.
    if (this.res === undefined) this.socket.end();
  };

  private readonly onClose = (): void => {
    this.dead = true;
    this.phase = "done";
    this.server.forget(this);
    const body = this.body;
    this.body = undefined;
    if (body !== undefined && !this.complete) body.destroy(new Error("the client closed the connection before its request body ended"));
    const res = this.res;
    this.res = undefined;
    res?.settle(false);
  };

  private readonly onDrain = (): void => {
    this.res?.emit("drain");
  };

  private readonly onError = (): void => {
    // 'close' follows and settles what was in progress.
  };

  private handOver(req: H1Request, rest: Buffer): void {
    this.phase = "done";
    const socket = this.socket;
    socket.pause();
    socket.off("data", this.onData);
    socket.off("end", this.onEnd);
    socket.off("close", this.onClose);
    socket.off("drain", this.onDrain);
    socket.off("error", this.onError);
    this.server.forget(this);
    this.server.handlers.upgrade?.(req, socket, rest);
  }

  /** Bytes that are not HTTP: answered and closed (after the responses before them, which are already out). */
  private parseError(problem: H1ParseError): void {
    // HTTP/1.2 and the like are answered 400, as node:http did (the corpus holds to it).
    const status = problem.status === 505 ? 400 : problem.status;
    const message = status === 431 ? "request headers are over the limit" : `malformed request (${problem.code}): ${problem.reason}`;
    if (this.phase === "body") return this.failInRequest(status, message);
    this.refuse(status, message);
  }

  /** The request is being answered while its body cannot complete: the answer, if none started, else the cut. */
  private failInRequest(status: number, message: string): void {
    const body = this.body;
    this.body = undefined;
    body?.destroy(new Error(message));
    if (this.res?.headersSent === true) {
      this.dead = true;
      this.socket.destroy();
      return;
    }
    this.refuse(status, message);
  }

  private refuse(status: number, message: string): void {
    this.dead = true;
    this.phase = "done";
    const socket = this.socket;
    if (!socket.writable) return void socket.destroy();
    socket.end(rawResponse(status, STATUS_CODES[status] ?? "Bad Request", message));
    setTimeout(() => socket.destroy(), ANSWER_LINGER_MS).unref();
  }
}

function isWebSocket(raw: readonly string[]): boolean {
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    if (name.length === 7 && name.toLowerCase() === "upgrade") return (raw[i + 1] as string).toLowerCase() === "websocket";
  }
  return false;
}

function hasExpect(raw: readonly string[]): boolean {
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    if (name.length === 6 && name.toLowerCase() === "expect") return true;
  }
  return false;
}
