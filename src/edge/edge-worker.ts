import { EdgeRuntime } from "./edge-runtime.ts";
import type { PrimaryMessage, WorkerMessage } from "./edge-ipc.types.ts";
import { errorMessage } from "../shared/errors.ts";

/**
 * An edge worker: forked by the edge's primary (edge-main.ts) with an IPC channel. It serves the
 * environments' ports and answers the primary's table pushes and stats collections. When the primary
 * goes away (the channel closes), the worker drains and exits: a new edge's workers take over the ports.
 */
const DRAIN_MS = 10_000;

const runtime = new EdgeRuntime();
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
  } else if (message.type === "shutdown") {
    stop(message.drainMs);
  }
});
process.on("disconnect", () => stop(DRAIN_MS));
// The primary decides when workers stop; a signal to the whole group still drains rather than cuts.
process.on("SIGTERM", () => stop(DRAIN_MS));
// Ctrl-C reaches the whole process group: the primary handles it and tells the workers to drain.
process.on("SIGINT", () => {});
// One bad request must not take every site down: log and keep serving.
process.on("uncaughtException", (error) => process.stderr.write(`edge worker ${process.pid}: uncaught: ${error.stack ?? errorMessage(error)}\n`));
process.on("unhandledRejection", (error) => process.stderr.write(`edge worker ${process.pid}: unhandled rejection: ${errorMessage(error)}\n`));

if (process.send === undefined) {
  process.stderr.write("edge-worker.ts is started by edge-main.ts, not by hand\n");
  process.exit(2);
}
send({ type: "hello" });
