import type { Duplex } from "node:stream";
import type { CompiledInstance } from "./compiled-table.ts";
import type { DrainableStream, StreamRegistry } from "./stream-drain.ts";
import type { UpstreamRegistry } from "./upstream-registry.ts";
import { closeFrame, FrameTracker, GOING_AWAY } from "./websocket-frames.ts";

export interface TunnelContext {
  readonly registry: UpstreamRegistry;
  readonly streams: StreamRegistry;
}

/** After the close frames went out, how long the peers get to answer them before the edge ends both connections. */
const CLOSE_GRACE_MS = 500;
/** After ending them, how long before the connections are destroyed regardless. */
const END_GRACE_MS = 1_000;

/** One direction of the tunnel and what the edge knows of its frames. */
interface Direction {
  readonly from: Duplex;
  readonly to: Duplex;
  readonly tracker: FrameTracker;
  /** The close frame the edge sends this way at a drain: masked towards the instance, plain towards the client. */
  readonly closeFrame: Buffer;
  /** A drain asked for a close frame; it goes out at the next frame boundary. */
  pendingClose: boolean;
  sentClose: boolean;
  /** The peer this direction comes from answered with its own close frame after the edge's. */
  peerClosed: boolean;
}

/**
 * An accepted WebSocket: bytes pass both ways unbuffered, with backpressure, while a FrameTracker per
 * direction follows frame boundaries. At a drain (its instance's deadline, or edge shutdown) the client
 * gets a close frame 1001 "going away" and the instance a masked one, each between two frames, then both
 * connections end after a short grace: the client reconnects, through the edge, to a live instance.
 */
export class WebSocketTunnel implements DrainableStream {
  private readonly ctx: TunnelContext;
  private readonly instance: CompiledInstance;
  private readonly client: Duplex;
  private readonly upstream: Duplex;
  private readonly toClient: Direction;
  private readonly toUpstream: Direction;
  private closing = false;
  private finished = false;
  private ending = false;

  constructor(ctx: TunnelContext, instance: CompiledInstance, client: Duplex, upstream: Duplex) {
    this.ctx = ctx;
    this.instance = instance;
    this.client = client;
    this.upstream = upstream;
    this.toClient = direction(upstream, client, closeFrame(GOING_AWAY, "going away", false));
    this.toUpstream = direction(client, upstream, closeFrame(GOING_AWAY, "going away", true));
  }

  /** `responseHead`: the instance's 101 head; `upstreamRest`/`clientRest`: bytes each side sent right after its head. */
  open(responseHead: Buffer, upstreamRest: Buffer, clientRest: Buffer): void {
    this.ctx.streams.add(this.instance.id, this);
    this.client.write(responseHead);
    if (upstreamRest.length > 0) this.forward(this.toClient, upstreamRest);
    if (clientRest.length > 0) this.forward(this.toUpstream, clientRest);
    for (const dir of [this.toClient, this.toUpstream]) {
      dir.from.on("data", (chunk: Buffer) => this.forward(dir, chunk));
      // A half-close passes through: the other side may still send.
      dir.from.on("end", () => dir.to.end());
      dir.from.on("close", () => this.sideClosed(dir));
      dir.from.on("error", () => dir.from.destroy());
    }
    this.client.resume();
  }

  closeGracefully(): void {
    if (this.closing || this.finished) return;
    this.closing = true;
    for (const dir of [this.toClient, this.toUpstream]) {
      dir.pendingClose = true;
      if (dir.tracker.atBoundary) this.injectClose(dir);
    }
    setTimeout(() => this.endBoth(), CLOSE_GRACE_MS).unref();
  }

  private forward(dir: Direction, chunk: Buffer): void {
    if (dir.sentClose) {
      // After the edge's close frame nothing more may go this way; the peer's answering close ends it early.
      dir.tracker.skip(chunk);
      if (dir.tracker.lastOpcode === 8 && dir.tracker.atBoundary) dir.peerClosed = true;
      if (this.toClient.peerClosed && this.toUpstream.peerClosed) this.endBoth();
      return;
    }
    if (!dir.pendingClose) {
      dir.tracker.skip(chunk);
      return this.write(dir, chunk);
    }
    // Draining mid-frame: pass the rest of this frame, then the close frame, and drop what follows.
    const at = dir.tracker.advance(chunk, 0);
    if (at > 0) this.write(dir, chunk.subarray(0, at));
    if (dir.tracker.atBoundary) this.injectClose(dir);
  }

  private write(dir: Direction, chunk: Buffer): void {
    if (dir.to.write(chunk)) return;
    // The receiving side is slower: stop reading the sending side until it catches up.
    dir.from.pause();
    dir.to.once("drain", () => dir.from.resume());
  }

  private injectClose(dir: Direction): void {
    dir.pendingClose = false;
    dir.sentClose = true;
    // The sender already closed this way itself: a second close frame would break the protocol.
    if (dir.tracker.lastOpcode === 8) {
      dir.peerClosed = true;
      return;
    }
    dir.to.write(dir.closeFrame);
  }

  private endBoth(): void {
    if (this.ending) return;
    this.ending = true;
    this.client.end();
    this.upstream.end();
    setTimeout(() => {
      this.client.destroy();
      this.upstream.destroy();
    }, END_GRACE_MS).unref();
  }

  /** One side is gone: what is queued for the other still goes out (end, not destroy), bounded by a timer. */
  private sideClosed(dir: Direction): void {
    if (!dir.to.destroyed) {
      dir.to.end();
      setTimeout(() => dir.to.destroy(), END_GRACE_MS).unref();
      return;
    }
    this.finish();
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.ctx.streams.remove(this.instance.id, this);
    this.ctx.registry.end(this.instance.id);
  }
}

function direction(from: Duplex, to: Duplex, frame: Buffer): Direction {
  return { from, to, tracker: new FrameTracker(), closeFrame: frame, pendingClose: false, sentClose: false, peerClosed: false };
}
