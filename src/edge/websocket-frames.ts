import { randomBytes } from "node:crypto";

/**
 * Follows WebSocket frame boundaries (RFC 6455 §5.2) in one direction of a proxied connection without
 * buffering or decoding payloads: the edge only needs to know where a frame ends, so that a close frame
 * it injects at a drain deadline lands between frames, never inside one.
 */
export class FrameTracker {
  /** Header bytes of the frame being read (2 to 14); empty between frames and while in a payload. */
  private header: number[] = [];
  private headerNeeded = 2;
  private payloadLeft = 0;
  /** Opcode of the last complete header (8 = close): the peer closing is not something to inject over. */
  lastOpcode = -1;

  /** True when the bytes seen so far end exactly on a frame boundary. */
  get atBoundary(): boolean {
    return this.header.length === 0 && this.payloadLeft === 0;
  }

  /** Follows every byte of `chunk`. */
  skip(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) at = this.advance(chunk, at);
  }

  /**
   * Consumes bytes from `from` up to the end of the current frame or the end of `chunk`, whichever comes
   * first, and returns the offset reached. Between frames it starts reading the next header.
   */
  advance(chunk: Buffer, from: number): number {
    let at = from;
    if (this.payloadLeft > 0) {
      const take = Math.min(this.payloadLeft, chunk.length - at);
      this.payloadLeft -= take;
      return at + take;
    }
    while (at < chunk.length) {
      this.header.push(chunk[at] as number);
      at++;
      if (this.header.length === 2) this.headerNeeded = headerLength(this.header[1] as number);
      if (this.header.length < this.headerNeeded) continue;
      this.payloadLeft = payloadLength(this.header);
      this.lastOpcode = (this.header[0] as number) & 0x0f;
      this.header = [];
      this.headerNeeded = 2;
      if (this.payloadLeft === 0) return at;
      const take = Math.min(this.payloadLeft, chunk.length - at);
      this.payloadLeft -= take;
      return at + take;
    }
    return at;
  }
}

function headerLength(second: number): number {
  const len7 = second & 0x7f;
  const masked = (second & 0x80) !== 0;
  return 2 + (len7 === 126 ? 2 : len7 === 127 ? 8 : 0) + (masked ? 4 : 0);
}

function payloadLength(header: number[]): number {
  const len7 = (header[1] as number) & 0x7f;
  if (len7 < 126) return len7;
  if (len7 === 126) return ((header[2] as number) << 8) | (header[3] as number);
  // 64-bit length: payloads beyond 2^53 bytes do not happen; the arithmetic stays exact up to there.
  let length = 0;
  for (let i = 2; i < 10; i++) length = length * 256 + (header[i] as number);
  return length;
}

export const GOING_AWAY = 1001;

/**
 * A close frame with a status code and a short reason. Frames to a server must be masked (RFC 6455 §5.3),
 * frames to a client must not.
 */
export function closeFrame(code: number, reason: string, masked: boolean): Buffer {
  const text = Buffer.from(reason, "utf8").subarray(0, 123);
  const payload = Buffer.alloc(2 + text.length);
  payload.writeUInt16BE(code, 0);
  text.copy(payload, 2);
  const head = Buffer.from([0x88, (masked ? 0x80 : 0) | payload.length]);
  if (!masked) return Buffer.concat([head, payload]);
  const key = randomBytes(4);
  for (let i = 0; i < payload.length; i++) payload[i] = (payload[i] as number) ^ (key[i % 4] as number);
  return Buffer.concat([head, key, payload]);
}
