import { createEdgeClient } from "./edge-client.ts";
import { EdgeRuntime } from "./edge-runtime.ts";
import { HTTP1_IMPLEMENTATION } from "./listener-set.ts";
import type { PrimaryMessage, WorkerMessage } from "./edge-ipc.types.ts";
import { errorMessage } from "../shared/errors.ts";

/**
 * An edge worker: forked by the edge's primary (edge-main.ts) with an IPC channel. It serves the
 * environments' ports and answers the primary's table pushes and stats collections. When the primary
 * goes away (the channel closes: it was killed), the worker keeps serving with the table it has until a
 * new edge answers on the control socket (its workers are listening by then, on the same ports with
 * SO_REUSEPORT), and only then drains and exits: a primary's death costs no refused connection.
 */
const DRAIN_MS = 10_000;
const SUCCESSOR_POLL_MS = 100;
/** Without a control plane nobody starts a new edge: an orphan serves on, but not forever unseen. */
const ORPHAN_MAX_MS = 24 * 3600_000;
const primaryPid = process.ppid;

const runtime = new EdgeRuntime();
// The fallback is an operator's choice: the log says it is in force.
if (HTTP1_IMPLEMENTATION === "node")
  process.stderr.write(`edge worker ${process.pid}: HTTP/1.x served by node:http's server side (RAMPART_EDGE_HTTP1=node)\n`);
let stopping = false;

function send(message: WorkerMessage): void {
  // A primary that is gone cannot be told anything; the disconnect handler below shuts down.
  if (process.connected) process.send?.(message, undefined, {}, () => {});
}

function stop(drainMs: number): void {
  if (stopping) return;
  stopping = true;
  runtime.shutdown(drainMs).then(
    () => process.exit(0),
    () => process.exit(0),
  );
}

process.on("message", (raw: unknown) => {
  const message = raw as PrimaryMessage;
  if (message.type === "table") {
    runtime.applyTable(message.table).then(
      (result) => send({ type: "applied", seq: message.seq, result }),
      (error: unknown) => {
        process.stderr.write(`edge worker ${process.pid}: table ${message.table.version} failed: ${errorMessage(error)}\n`);
        send({ type: "applied", seq: message.seq, result: { version: runtime.tableVersion, listening: [], errors: [] } });
      },
    );
  } else if (message.type === "collect") {
    send({ type: "collected", seq: message.seq, stats: runtime.readStats() });
  } else if (message.type === "inflight") {
    send({ type: "inflight", seq: message.seq, inflight: runtime.readInflight() });
  } else if (message.type === "shutdown") {
    stop(message.drainMs);
  }
});
process.on("disconnect", () => void awaitSuccessor());
// The primary decides when workers stop; a signal to the whole group still drains rather than cuts.
process.on("SIGTERM", () => stop(DRAIN_MS));
// Ctrl-C reaches the whole process group: the primary handles it and tells the workers to drain.
process.on("SIGINT", () => {});
// One bad request must not take every site down: log and keep serving.
process.on("uncaughtException", (error) =>
  process.stderr.write(`edge worker ${process.pid}: uncaught: ${error.stack ?? errorMessage(error)}\n`),
);
process.on("unhandledRejection", (error) =>
  process.stderr.write(`edge worker ${process.pid}: unhandled rejection: ${errorMessage(error)}\n`),
);

/** Polls the control socket until an edge other than our dead primary answers, then drains. */
async function awaitSuccessor(): Promise<void> {
  const socketPath = process.env.RAMPART_EDGE_SOCKET;
  // A primary that shut down on purpose sends "shutdown" first; one started without a socket cannot be succeeded.
  if (stopping || socketPath === undefined) return stop(DRAIN_MS);
  process.stderr.write(`edge worker ${process.pid}: primary ${primaryPid} is gone; serving until a new edge answers on ${socketPath}\n`);
  const client = createEdgeClient(socketPath, { timeoutMs: 1_000 });
  const deadline = Date.now() + ORPHAN_MAX_MS;
  while (!stopping && Date.now() < deadline) {
    try {
      const health = await client.health();
      if (health.pid !== primaryPid) {
        process.stderr.write(`edge worker ${process.pid}: edge ${health.pid} is serving; draining\n`);
        break;
      }
    } catch {
      // No edge yet: keep serving.
    }
    await new Promise((resolve) => setTimeout(resolve, SUCCESSOR_POLL_MS));
  }
  stop(DRAIN_MS);
}

if (process.send === undefined) {
  process.stderr.write("edge-worker.ts is started by edge-main.ts, not by hand\n");
  process.exit(2);
}
send({ type: "hello" });
