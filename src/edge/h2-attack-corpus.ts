import { connect, type Socket } from "node:net";
import { ERROR, FLAG, FRAME, frame, FrameReader, literal, ping, PREFACE, requestBlock, rstStream, type ServerFrames } from "./h2-frames.ts";
import { h2Once } from "./h2-client.ts";

/**
 * The known HTTP/2 attacks, each written frame by frame on its own raw connection to an edge port that speaks
 * HTTP/2 (cleartext with prior knowledge). Each must end as `expect` says, and other clients must keep being
 * answered while it runs. Shared by the edge's HTTP/2 hardening test and the edge-corpus drill.
 */
export interface H2Attack {
  name: string;
  /** The frames after the preface and the client's SETTINGS, in the chunks they are written in. */
  chunks(path: string): Iterable<Buffer>;
  /**
   * "ended": the edge ends the connection (GOAWAY or close) before serving the flood;
   * "refused": the offending streams are reset (RST_STREAM) or the connection ended, and none is answered.
   */
  expect: "ended" | "refused";
}

/** Streams opened and cancelled at once, as CVE-2023-44487 does (browsers cancel a few). */
const RAPID_RESETS = 5_000;
const FLOOD_FRAMES = 20_000;

/** Made one batch at a time as they are written, so the attacker's own process stays free to run the probes. */
function* batches(count: number, per: number, make: (i: number) => Buffer): Generator<Buffer> {
  for (let start = 0; start < count; start += per) {
    const parts: Buffer[] = [];
    for (let i = start; i < Math.min(count, start + per); i++) parts.push(make(i));
    yield Buffer.concat(parts);
  }
}

export const H2_ATTACKS: readonly H2Attack[] = [
  {
    name: "rapid reset (CVE-2023-44487): 5,000 streams opened and cancelled at once",
    chunks: (path) =>
      batches(RAPID_RESETS, 250, (i) =>
        Buffer.concat([
          frame(FRAME.headers, FLAG.endHeaders | FLAG.endStream, 2 * i + 1, requestBlock("GET", path)),
          rstStream(2 * i + 1, ERROR.cancel),
        ]),
      ),
    expect: "ended",
  },
  {
    name: "CONTINUATION flood (CVE-2024-27316): a header block that never ends, one field per frame",
    chunks: (path) =>
      batches(FLOOD_FRAMES, 1_000, (i) =>
        i === 0
          ? frame(FRAME.headers, FLAG.endStream, 1, requestBlock("GET", path))
          : frame(FRAME.continuation, 0, 1, literal(`x-c${i}`, "a")),
      ),
    expect: "ended",
  },
  {
    name: "CONTINUATION flood (CVE-2024-27983): empty frames that never end the block",
    chunks: (path) =>
      batches(FLOOD_FRAMES, 1_000, (i) =>
        i === 0 ? frame(FRAME.headers, FLAG.endStream, 1, requestBlock("GET", path)) : frame(FRAME.continuation, 0, 1),
      ),
    expect: "ended",
  },
  {
    // One 4 KB field indexed once, then referenced 8,000 times by a one-byte index: 32 MB of headers per 12 KB frame.
    name: "HPACK bomb: one 4 KB field referenced 8,000 times per header block",
    chunks: (path) =>
      batches(10, 1, (i) =>
        frame(
          FRAME.headers,
          FLAG.endHeaders | FLAG.endStream,
          2 * i + 1,
          Buffer.concat([
            requestBlock("GET", path),
            i === 0 ? literal("x-bomb", "b".repeat(4_000), true) : Buffer.alloc(0),
            Buffer.alloc(8_000, 0xbe),
          ]),
        ),
      ),
    expect: "refused",
  },
  {
    name: "SETTINGS flood (CVE-2019-9515): 20,000 frames, each to be acknowledged",
    chunks: () => batches(FLOOD_FRAMES, 1_000, () => frame(FRAME.settings, 0, 0)),
    expect: "ended",
  },
  {
    name: "PING flood (CVE-2019-9512): 20,000 frames, each to be answered",
    chunks: () => batches(FLOOD_FRAMES, 1_000, (i) => ping(i)),
    expect: "ended",
  },
  {
    name: "too many streams: 1,000 uploads opened at once, none finished",
    chunks: (path) => batches(1_000, 100, (i) => frame(FRAME.headers, FLAG.endHeaders, 2 * i + 1, requestBlock("POST", path))),
    expect: "refused",
  },
];

export interface H2AttackResult {
  name: string;
  ok: boolean;
  /** What the edge did, for the report: GOAWAY code, resets, answers, whether it closed the connection. */
  detail: string;
  frames: ServerFrames;
  closed: boolean;
  /** Other clients' requests during the attack: how many, how many failed, the slowest (ms). */
  probes: { count: number; failed: number; slowestMs: number };
}

/** How long the edge has to end an attack connection, and the slowest answer another client may get meanwhile. */
const ATTACK_DEADLINE_MS = 10_000;
export const PROBE_SLOWEST_MS = 2_000;

/** Runs one attack on `path` against 127.0.0.1:`port` while another client keeps requesting `probePath` over HTTP/2. */
export async function runH2Attack(attack: H2Attack, port: number, path = "/", probePath = path): Promise<H2AttackResult> {
  const probes = { count: 0, failed: 0, slowestMs: 0 };
  let attacking = true;
  const prober = (async () => {
    // At least one request during or right after the attack; one at a time, each on a new connection.
    do {
      const started = performance.now();
      try {
        const reply = await h2Once(`http://127.0.0.1:${port}`, probePath);
        if (reply.status >= 500) probes.failed++;
      } catch {
        probes.failed++;
      }
      probes.count++;
      probes.slowestMs = Math.max(probes.slowestMs, performance.now() - started);
      await new Promise((resolve) => setTimeout(resolve, 50));
    } while (attacking);
  })();
  const { frames, closed } = await attackConnection(attack, port, path);
  attacking = false;
  await prober;
  const ended = closed || frames.goaway !== undefined;
  const resets = [...frames.resets.values()].reduce((a, b) => a + b, 0);
  const outcome = attack.expect === "ended" ? ended : frames.answered === 0 && (resets > 0 || ended);
  const responsive = probes.failed === 0 && probes.slowestMs <= PROBE_SLOWEST_MS;
  const codes = [...frames.resets].map(([code, n]) => `${n}×${code}`).join(",") || "none";
  return {
    name: attack.name,
    ok: outcome && responsive,
    detail:
      `GOAWAY ${frames.goaway ?? "none"}, RST_STREAM ${codes}, answered ${frames.answered}, ${closed ? "closed" : "left open"}; ` +
      `${probes.count} probes, ${probes.failed} failed, slowest ${Math.round(probes.slowestMs)} ms`,
    frames,
    closed,
    probes,
  };
}

export async function runH2Attacks(port: number, path = "/"): Promise<H2AttackResult[]> {
  const results: H2AttackResult[] = [];
  for (const attack of H2_ATTACKS) results.push(await runH2Attack(attack, port, path));
  return results;
}

/** Writes the attack (respecting backpressure) and reads until the edge closes, or briefly after a GOAWAY. */
function attackConnection(attack: H2Attack, port: number, path: string): Promise<{ frames: ServerFrames; closed: boolean }> {
  return new Promise((resolve) => {
    const reader = new FrameReader();
    const socket: Socket = connect({ host: "127.0.0.1", port });
    let done = false;
    const finish = (closed: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(deadline);
      socket.destroy();
      resolve({ frames: reader.seen, closed });
    };
    const deadline = setTimeout(() => finish(false), ATTACK_DEADLINE_MS);
    socket.on("data", (chunk: Buffer) => {
      reader.push(chunk);
      // After a GOAWAY the edge closes once its queue is out; wait a moment for that, then stop.
      if (reader.seen.goaway !== undefined) setTimeout(() => finish(socket.destroyed || socket.readableEnded), 500).unref();
    });
    socket.on("close", () => finish(true));
    socket.on("end", () => finish(true));
    socket.on("error", () => finish(true));
    socket.once("connect", async () => {
      socket.write(Buffer.concat([PREFACE, frame(FRAME.settings, 0, 0), frame(FRAME.settings, FLAG.ack, 0)]));
      for (const chunk of attack.chunks(path)) {
        if (done || socket.destroyed) return;
        if (!socket.write(chunk)) await new Promise((ok) => socket.once("drain", ok).once("close", ok));
        else await new Promise((ok) => setImmediate(ok));
      }
      // The too-many-streams and bomb cases leave their streams open: give the edge time to refuse them.
      if (attack.expect === "refused") setTimeout(() => finish(socket.destroyed), 1_500).unref();
    });
  });
}

/** The control: a request written with the same framing is answered, so the attacks' endings are the edge's doing. */
export function wellFormedRequest(port: number, path: string): Promise<ServerFrames> {
  return new Promise((resolve, reject) => {
    const reader = new FrameReader();
    const socket = connect({ host: "127.0.0.1", port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer to a hand-written HTTP/2 request within 5 s: ${JSON.stringify(reader.seen)}`));
    }, 5_000);
    socket.on("error", reject);
    socket.on("data", (chunk: Buffer) => {
      reader.push(chunk);
      if (reader.seen.answered > 0 || reader.seen.goaway !== undefined) {
        clearTimeout(timer);
        socket.destroy();
        resolve(reader.seen);
      }
    });
    socket.once("connect", () =>
      socket.write(
        Buffer.concat([
          PREFACE,
          frame(FRAME.settings, 0, 0),
          frame(FRAME.headers, FLAG.endHeaders | FLAG.endStream, 1, Buffer.concat([requestBlock("GET", path), literal("x-test", "1")])),
        ]),
      ),
    );
  });
}
