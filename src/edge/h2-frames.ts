/**
 * Just enough HTTP/2 framing (RFC 9113 §4, §6) and HPACK (RFC 7541) to write attack traffic by hand: node:http2's
 * client refuses to send most of it (floods, unterminated header blocks, compression bombs).
 */

export const FRAME = { data: 0, headers: 1, rstStream: 3, settings: 4, ping: 6, goaway: 7, windowUpdate: 8, continuation: 9 } as const;
export const FLAG = { endStream: 0x1, ack: 0x1, endHeaders: 0x4 } as const;
export const ERROR = { noError: 0, protocol: 1, refusedStream: 7, cancel: 8, enhanceYourCalm: 11 } as const;

export const PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");

export function frame(type: number, flags: number, streamId: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const head = Buffer.alloc(9);
  head.writeUIntBE(payload.length, 0, 3);
  head[3] = type;
  head[4] = flags;
  head.writeUInt32BE(streamId & 0x7fffffff, 5);
  return Buffer.concat([head, payload]);
}

export function rstStream(streamId: number, code: number): Buffer {
  const payload = Buffer.alloc(4);
  payload.writeUInt32BE(code);
  return frame(FRAME.rstStream, 0, streamId, payload);
}

export function ping(n: number): Buffer {
  const payload = Buffer.alloc(8);
  payload.writeUInt32BE(n >>> 0, 4);
  return frame(FRAME.ping, 0, 0, payload);
}

/** An HPACK integer with an N-bit prefix (RFC 7541 §5.1); `high` holds the representation's leading bits. */
export function hpackInt(value: number, prefixBits: number, high: number): Buffer {
  const max = (1 << prefixBits) - 1;
  if (value < max) return Buffer.from([high | value]);
  const out = [high | max];
  let rest = value - max;
  while (rest >= 128) {
    out.push((rest % 128) + 128);
    rest = Math.floor(rest / 128);
  }
  out.push(rest);
  return Buffer.from(out);
}

function hpackString(text: string): Buffer {
  const bytes = Buffer.from(text, "latin1");
  return Buffer.concat([hpackInt(bytes.length, 7, 0), bytes]);
}

/** A literal field with a new name, without indexing (RFC 7541 §6.2.2), or with incremental indexing (§6.2.1). */
export function literal(name: string, value: string, index = false): Buffer {
  return Buffer.concat([Buffer.from([index ? 0x40 : 0x00]), hpackString(name), hpackString(value)]);
}

/** The header block of a request: `:method`, `:scheme http`, `:path`, `:authority` (static table names, RFC 7541 Appendix A). */
export function requestBlock(method: "GET" | "POST", path: string, authority = "localhost"): Buffer {
  return Buffer.concat([
    Buffer.from([method === "GET" ? 0x82 : 0x83, 0x86]),
    Buffer.concat([Buffer.from([0x04]), hpackString(path)]),
    Buffer.concat([Buffer.from([0x01]), hpackString(authority)]),
  ]);
}

/** What the server sent on a raw connection, read frame by frame. */
export interface ServerFrames {
  goaway: number | undefined;
  resets: Map<number, number>;
  /** Streams the server answered with a response HEADERS frame (a `:status`). */
  answered: number;
  pings: number;
  settingsAcks: number;
}

/** Feeds bytes from the server; returns the frames seen so far. */
export class FrameReader {
  readonly seen: ServerFrames = { goaway: undefined, resets: new Map(), answered: 0, pings: 0, settingsAcks: 0 };
  private buffer: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    while (this.buffer.length >= 9) {
      const length = this.buffer.readUIntBE(0, 3);
      if (this.buffer.length < 9 + length) return;
      const type = this.buffer[3] as number;
      const flags = this.buffer[4] as number;
      const payload = this.buffer.subarray(9, 9 + length);
      this.buffer = this.buffer.subarray(9 + length);
      // The first GOAWAY says why; a later one (NO_ERROR as the session is torn down) does not.
      if (type === FRAME.goaway && payload.length >= 8) this.seen.goaway ??= payload.readUInt32BE(4);
      else if (type === FRAME.rstStream && payload.length >= 4) {
        const code = payload.readUInt32BE(0);
        this.seen.resets.set(code, (this.seen.resets.get(code) ?? 0) + 1);
      } else if (type === FRAME.headers) this.seen.answered++;
      else if (type === FRAME.ping && (flags & FLAG.ack) !== 0) this.seen.pings++;
      else if (type === FRAME.settings && (flags & FLAG.ack) !== 0) this.seen.settingsAcks++;
    }
  }
}
