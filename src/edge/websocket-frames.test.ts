import assert from "node:assert/strict";
import { duplexPair, type Duplex } from "node:stream";
import { describe, test } from "node:test";
import fc from "fast-check";
import type { CompiledInstance } from "./compiled-table.ts";
import { StreamRegistry } from "./stream-drain.ts";
import { UpstreamRegistry } from "./upstream-registry.ts";
import { closeFrame, FrameTracker, GOING_AWAY } from "./websocket-frames.ts";
import { WebSocketTunnel } from "./websocket-tunnel.ts";
import { waitFor } from "../shared/wait.ts";

/** A frame as a server (unmasked) or client (masked) sends it. */
function frame(opcode: number, payload: Buffer, masked: boolean): Buffer {
  const length = payload.length;
  const ext = length < 126 ? Buffer.alloc(0) : length < 65536 ? Buffer.alloc(2) : Buffer.alloc(8);
  if (length >= 126 && length < 65536) ext.writeUInt16BE(length);
  if (length >= 65536) ext.writeBigUInt64BE(BigInt(length));
  const len7 = length < 126 ? length : length < 65536 ? 126 : 127;
  const head = Buffer.from([0x80 | opcode, (masked ? 0x80 : 0) | len7]);
  const key = masked ? Buffer.from([1, 2, 3, 4]) : Buffer.alloc(0);
  return Buffer.concat([head, ext, key, payload]);
}

describe("FrameTracker", () => {
  test("finds every frame boundary, however the bytes are split", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 70_000 }), fc.boolean()), { minLength: 1, maxLength: 6 }),
        fc.array(fc.integer({ min: 1, max: 5_000 }), { minLength: 1, maxLength: 50 }),
        (frames, cuts) => {
          const encoded = frames.map(([size, masked]) => frame(2, Buffer.alloc(size, 7), masked));
          const ends = new Set<number>();
          let total = 0;
          for (const f of encoded) ends.add((total += f.length));
          const bytes = Buffer.concat(encoded);
          const tracker = new FrameTracker();
          let at = 0;
          let c = 0;
          // Feed in pieces; after each advance() the tracker is at a boundary exactly at a frame end.
          while (at < bytes.length) {
            const pieceEnd = Math.min(bytes.length, at + (cuts[c++ % cuts.length] as number));
            const piece = bytes.subarray(at, pieceEnd);
            let offset = 0;
            while (offset < piece.length) {
              offset = tracker.advance(piece, offset);
              assert.equal(tracker.atBoundary, ends.has(at + offset), `at ${at + offset}`);
            }
            at = pieceEnd;
          }
          assert.ok(tracker.atBoundary);
        },
      ),
      { numRuns: 200 },
    );
  });

  test("close frames: status code and reason, masked for the server only", () => {
    const plain = closeFrame(GOING_AWAY, "going away", false);
    assert.equal(plain[0], 0x88);
    assert.equal(plain[1], 12);
    assert.equal(plain.readUInt16BE(2), 1001);
    assert.equal(plain.subarray(4).toString(), "going away");
    const masked = closeFrame(GOING_AWAY, "going away", true);
    assert.equal((masked[1] as number) & 0x80, 0x80);
    const key = masked.subarray(2, 6);
    const payload = Buffer.from(masked.subarray(6).map((b, i) => b ^ (key[i % 4] as number)));
    assert.equal(payload.readUInt16BE(0), 1001);
    const tracker = new FrameTracker();
    tracker.skip(masked);
    assert.ok(tracker.atBoundary);
    assert.equal(tracker.lastOpcode, 8);
  });
});

function collect(stream: Duplex): () => Buffer {
  const chunks: Buffer[] = [];
  stream.on("data", (c: Buffer) => chunks.push(c));
  return () => Buffer.concat(chunks);
}

describe("WebSocketTunnel drain", () => {
  const instance = { id: "i1", release: 1, origin: "", host: "", port: 0, series: [] } as unknown as CompiledInstance;

  test("a drain mid-frame lets the frame finish, then sends the close frame, and nothing after it", async () => {
    const [clientEdge, clientPeer] = duplexPair();
    const [upstreamEdge, upstreamPeer] = duplexPair();
    const registry = new UpstreamRegistry();
    const streams = new StreamRegistry();
    registry.begin("i1");
    const tunnel = new WebSocketTunnel({ registry, streams }, instance, clientEdge, upstreamEdge);
    const toClient = collect(clientPeer);
    const toUpstream = collect(upstreamPeer);
    tunnel.open(Buffer.from("HTTP/1.1 101 Switching Protocols\r\n\r\n"), Buffer.alloc(0), Buffer.alloc(0));
    assert.equal(streams.count(), 1);
    const big = frame(2, Buffer.alloc(1000, 1), false);
    upstreamPeer.write(big.subarray(0, 300));
    await waitFor(() => (toClient().length >= 300 + 36 ? true : undefined), { timeoutMs: 2_000, intervalMs: 5 });
    tunnel.closeGracefully();
    // The close to the upstream goes at once (client→upstream is between frames); the client's waits.
    await waitFor(() => (toUpstream().length > 0 ? true : undefined), { timeoutMs: 2_000, intervalMs: 5 });
    assert.equal(toClient().length, 36 + 300);
    upstreamPeer.write(Buffer.concat([big.subarray(300), frame(1, Buffer.from("after"), false)]));
    await waitFor(() => (toClient().length >= 36 + big.length + 14 ? true : undefined), { timeoutMs: 2_000, intervalMs: 5 });
    const received = toClient().subarray(36);
    assert.deepEqual(received.subarray(0, big.length), big);
    assert.deepEqual(received.subarray(big.length), closeFrame(GOING_AWAY, "going away", false));
    const sent = toUpstream();
    assert.equal(sent[0], 0x88);
    assert.equal((sent[1] as number) & 0x80, 0x80);
    // Both sides answer with their close: the tunnel ends both connections and releases the instance.
    clientPeer.write(frame(8, Buffer.from([0x03, 0xe9]), true));
    upstreamPeer.write(frame(8, Buffer.from([0x03, 0xe9]), false));
    clientPeer.on("end", () => clientPeer.end());
    upstreamPeer.on("end", () => upstreamPeer.end());
    await waitFor(() => (registry.outstanding("i1") === 0 && streams.count() === 0 ? true : undefined), {
      timeoutMs: 3_000,
      intervalMs: 5,
    });
  });

  test("a peer that closed first gets no second close frame", async () => {
    const [clientEdge, clientPeer] = duplexPair();
    const [upstreamEdge, upstreamPeer] = duplexPair();
    const tunnel = new WebSocketTunnel(
      { registry: new UpstreamRegistry(), streams: new StreamRegistry() },
      instance,
      clientEdge,
      upstreamEdge,
    );
    const toClient = collect(clientPeer);
    tunnel.open(Buffer.alloc(0), Buffer.alloc(0), Buffer.alloc(0));
    const close = frame(8, Buffer.from([0x03, 0xe8]), false);
    upstreamPeer.write(close);
    await waitFor(() => (toClient().length === close.length ? true : undefined), { timeoutMs: 2_000, intervalMs: 5 });
    tunnel.closeGracefully();
    await new Promise((ok) => setImmediate(ok));
    assert.deepEqual(toClient(), close);
    clientPeer.destroy();
    upstreamPeer.destroy();
  });
});
