import { EventEmitter } from "node:events";
import { STATUS_CODES, type OutgoingHttpHeaders } from "node:http";
import { httpDate } from "./h1-date.ts";
import type { EdgeResponse } from "./proxy-exchange.ts";

/** The part of the client socket a response writes with (a Writable stands in for it in tests). */
export interface WireSocket {
  readonly writableNeedDrain: boolean;
  write(chunk: Buffer | string, callback?: (error: Error | null | undefined) => void): boolean;
  write(chunk: Buffer | string, encoding: BufferEncoding, callback?: (error: Error | null | undefined) => void): boolean;
  cork(): void;
  uncork(): void;
  destroy(): unknown;
}

/** What a response needs from its connection (h1-server.ts). */
export interface H1Wire {
  readonly socket: WireSocket;
  /** The connection answered an error itself or is gone: whatever the response still writes is dropped. */
  readonly dead: boolean;
  /** "Keep-Alive: timeout=N\r\n", as node:http sends it with a keep-alive answer. */
  readonly keepAliveLine: string;
  /** Called (as a socket write callback) once the response's last bytes are written. */
  readonly lastWritten: (error?: Error | null) => void;
}

/** Pieces written in one buffer (one syscall) up to this size; bigger bodies go out as they are, without a copy. */
const COALESCE_BYTES = 64 * 1024;
const CRLF = "\r\n";
const LAST_CHUNK = "0\r\n\r\n";
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const INVALID_VALUE = /[^\t\x20-\x7e\x80-\xff]/;
const STATUS_LINES = new Map<number, string>();

/**
 * One answer on the edge's own HTTP/1.x connection: the part of node:http's ServerResponse the proxy uses
 * (ProxyResponse, EdgeReply), written straight to the socket. The head waits for the first body bytes (or the end)
 * so a small answer leaves in one write; what is written within one tick is coalesced; a body without
 * Content-Length is sent chunked (HTTP/1.1) or delimited by the close (HTTP/1.0); HEAD, 204 and 304 have none.
 */
export class H1Response extends EventEmitter {
  statusCode = 200;
  shouldKeepAlive: boolean;
  headersSent = false;
  writableEnded = false;
  writableFinished = false;
  exchange: EdgeResponse["exchange"] = undefined;
  private readonly wire: H1Wire;
  private readonly headRequest: boolean;
  private readonly http10: boolean;
  private fields: Map<string, [string, string | number | readonly string[]]> | undefined;
  private written: OutgoingHttpHeaders | readonly string[] | undefined;
  private hasBody = true;
  private chunked = false;
  /** Set by end(chunk) before an implicit head: the body's length, sent as Content-Length as node:http does. */
  private knownLength = -1;
  private head: string | undefined;
  private parts: (Buffer | string)[] | undefined;
  private partBytes = 0;
  private flushQueued = false;
  private closed = false;

  constructor(wire: H1Wire, method: string, httpMinor: 0 | 1, keepAlive: boolean) {
    super();
    this.wire = wire;
    this.headRequest = method === "HEAD";
    this.http10 = httpMinor === 0;
    this.shouldKeepAlive = keepAlive;
  }

  setHeader(name: string, value: string | number | readonly string[]): this {
    if (this.headersSent) throw new Error(`cannot set header ${name}: the response head is already sent`);
    (this.fields ??= new Map()).set(name.toLowerCase(), [name, value]);
    return this;
  }

  getHeader(name: string): number | string | string[] | undefined {
    const lower = name.toLowerCase();
    const field = this.fields?.get(lower);
    if (field !== undefined) return copyValue(field[1]);
    const written = this.written;
    if (written === undefined) return undefined;
    if (isFlat(written)) {
      for (let i = 0; i < written.length; i += 2) if ((written[i] as string).toLowerCase() === lower) return written[i + 1];
      return undefined;
    }
    for (const key in written) if (key.toLowerCase() === lower) return copyValue(written[key]);
    return undefined;
  }

  /** Validates and builds the head (throws on an invalid status or header, as node:http does); it leaves with the first body bytes. */
  writeHead(statusCode: number, headers?: OutgoingHttpHeaders | readonly string[]): this {
    if (this.headersSent) throw new Error("the response head is already sent");
    if (!Number.isInteger(statusCode) || statusCode < 100 || statusCode > 999) throw new Error(`invalid status code ${statusCode}`);
    const builder = new HeadBuilder();
    const fields = this.fields;
    if (fields !== undefined) {
      const overridden = headers === undefined ? undefined : namesOf(headers);
      for (const [lower, [name, value]] of fields) if (overridden?.has(lower) !== true) builder.add(name, value);
    }
    if (headers !== undefined) {
      if (isFlat(headers)) {
        if (headers.length % 2 !== 0) throw new Error("a flat header list has a name without a value");
        for (let i = 0; i < headers.length; i += 2) builder.add(headers[i] as string, headers[i + 1] as string);
      } else {
        for (const name in headers) {
          const value = headers[name];
          if (value !== undefined) builder.add(name, value);
        }
      }
    }
    this.statusCode = statusCode;
    this.written = headers;
    this.hasBody = !(this.headRequest || statusCode === 204 || statusCode === 304 || statusCode < 200);
    let framing = "";
    if (this.hasBody && builder.contentLength === undefined) {
      if (builder.chunked) this.chunked = true;
      else if (this.knownLength >= 0) framing = `Content-Length: ${this.knownLength}\r\n`;
      else if (this.http10) this.shouldKeepAlive = false;
      else {
        framing = "Transfer-Encoding: chunked\r\n";
        this.chunked = true;
      }
    }
    if (builder.close) this.shouldKeepAlive = false;
    let head = statusLine(statusCode) + builder.text;
    if (!builder.date) head += `Date: ${httpDate()}\r\n`;
    if (!builder.connection)
      head += this.shouldKeepAlive ? `Connection: keep-alive\r\n${this.wire.keepAliveLine}` : "Connection: close\r\n";
    this.head = `${head}${framing}\r\n`;
    this.headersSent = true;
    return this;
  }

  /** Sends the head now (an event stream's, before its first event). */
  flushHeaders(): void {
    if (!this.headersSent) this.writeHead(this.statusCode);
    this.flush(undefined);
  }

  /** False when the socket's buffer is full: 'drain' follows once it has emptied. */
  write(chunk: Buffer | string): boolean {
    if (this.writableEnded) return false;
    if (!this.headersSent) this.writeHead(this.statusCode);
    if (!this.hasBody) return true;
    this.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
    if (this.partBytes >= COALESCE_BYTES) this.flush(undefined);
    else if (!this.flushQueued) {
      this.flushQueued = true;
      queueFlush(this);
    }
    return !this.wire.socket.writableNeedDrain;
  }

  end(chunk?: Buffer | string): this {
    if (this.writableEnded) return this;
    this.writableEnded = true;
    const body = chunk === undefined ? undefined : typeof chunk === "string" ? Buffer.from(chunk) : chunk;
    if (!this.headersSent) {
      this.knownLength = body === undefined ? 0 : body.length;
      this.writeHead(this.statusCode);
    }
    if (this.hasBody && body !== undefined && body.length > 0) this.push(body);
    if (this.chunked) (this.parts ??= []).push(LAST_CHUNK);
    this.flush(this.wire.lastWritten);
    return this;
  }

  /** Cuts the connection (the status line is out and the answer cannot complete). */
  destroy(): this {
    this.wire.socket.destroy();
    return this;
  }

  /** By the connection: the last bytes are written ('finish'), or the connection is gone first. Then 'close', once. */
  settle(finished: boolean): void {
    if (this.closed) return;
    this.closed = true;
    if (finished) {
      this.writableFinished = true;
      this.emit("finish");
    }
    this.emit("close");
  }

  /** Writes what is pending: the head, the body pieces of this tick, the end. */
  flushPending(): void {
    if (this.flushQueued) this.flush(undefined);
  }

  private push(body: Buffer): void {
    if (body.length === 0) return;
    const parts = (this.parts ??= []);
    if (this.chunked) parts.push(`${body.length.toString(16)}\r\n`, body, CRLF);
    else parts.push(body);
    this.partBytes += body.length;
  }

  private flush(callback: ((error?: Error | null) => void) | undefined): void {
    this.flushQueued = false;
    const head = this.head;
    const parts = this.parts;
    if (head === undefined && parts === undefined && callback === undefined) return;
    this.head = undefined;
    this.parts = undefined;
    const bytes = this.partBytes;
    this.partBytes = 0;
    const wire = this.wire;
    // The connection answered an error itself or is closing: its 'close' settles this response.
    if (wire.dead) return;
    const socket = wire.socket;
    if (parts === undefined) {
      if (head !== undefined) socket.write(head, "latin1", callback);
      else if (callback !== undefined) process.nextTick(callback);
      return;
    }
    if (bytes + (head?.length ?? 0) > COALESCE_BYTES) {
      socket.cork();
      if (head !== undefined) socket.write(head, "latin1");
      const last = parts.length - 1;
      for (let i = 0; i < last; i++) socket.write(parts[i] as Buffer | string, "latin1");
      socket.write(parts[last] as Buffer | string, "latin1", callback);
      socket.uncork();
      return;
    }
    let total = head?.length ?? 0;
    for (const part of parts) total += part.length;
    const out = Buffer.allocUnsafe(total);
    let at = head === undefined ? 0 : out.write(head, 0, "latin1");
    for (const part of parts) at += typeof part === "string" ? out.write(part, at, "latin1") : part.copy(out, at);
    socket.write(out, callback);
  }
}

/**
 * Responses written to in this turn of the event loop, flushed together in one microtask: usually the upstream's
 * head, body and end arrive in one read and end() has flushed already, so the queue costs a push and a check.
 */
let queued: H1Response[] = [];

function queueFlush(res: H1Response): void {
  if (queued.length === 0) queueMicrotask(flushAll);
  queued.push(res);
}

function flushAll(): void {
  const batch = queued;
  queued = [];
  for (const res of batch) res.flushPending();
}

/** The header lines of a head and what the server must know of them. */
class HeadBuilder {
  text = "";
  contentLength: string | undefined;
  chunked = false;
  date = false;
  connection = false;
  close = false;

  add(name: string, value: string | number | readonly string[]): void {
    if (!TOKEN.test(name)) throw new Error(`invalid header name ${JSON.stringify(name)}`);
    if (typeof value === "object") {
      for (const v of value) this.line(name, v);
      return;
    }
    this.line(name, typeof value === "number" ? String(value) : value);
  }

  private line(name: string, value: string): void {
    if (INVALID_VALUE.test(value)) throw new Error(`invalid value for header ${name}`);
    this.text += `${name}: ${value}\r\n`;
    // Only the few names the server acts on are lower-cased, picked by length first.
    const length = name.length;
    if (length !== 4 && length !== 10 && length !== 14 && length !== 17) return;
    const lower = name.toLowerCase();
    if (lower === "date") this.date = true;
    else if (lower === "content-length") this.contentLength = value;
    else if (lower === "transfer-encoding") this.chunked ||= value.toLowerCase().includes("chunked");
    else if (lower === "connection") {
      this.connection = true;
      if (value.toLowerCase().includes("close")) this.close = true;
    }
  }
}

function statusLine(status: number): string {
  let line = STATUS_LINES.get(status);
  if (line === undefined) {
    line = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? "unknown"}\r\n`;
    STATUS_LINES.set(status, line);
  }
  return line;
}

function isFlat(headers: OutgoingHttpHeaders | readonly string[]): headers is readonly string[] {
  return Array.isArray(headers);
}

function namesOf(headers: OutgoingHttpHeaders | readonly string[]): Set<string> {
  const names = new Set<string>();
  if (isFlat(headers)) for (let i = 0; i < headers.length; i += 2) names.add((headers[i] as string).toLowerCase());
  else for (const name in headers) names.add(name.toLowerCase());
  return names;
}

function copyValue(value: string | number | readonly string[] | undefined): string | number | string[] | undefined {
  return typeof value === "object" ? [...value] : value;
}
