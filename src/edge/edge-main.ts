import { chmod, mkdir, unlink } from "node:fs/promises";
import { connect } from "node:net";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { createControlServer } from "./control-server.ts";
import { EdgeRuntime } from "./edge-runtime.ts";
import { loadTable } from "./table-store.ts";
import { errorMessage } from "../shared/errors.ts";

/**
 * The edge process: `node src/edge/edge-main.ts --data DIR`. Started detached by the control plane,
 * it outlives it and keeps serving the last table it was given (persisted in DIR/run/edge-table.json).
 */
const DRAIN_MS = 10_000;

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { data: { type: "string" } } });
  if (values.data === undefined) {
    process.stderr.write("usage: edge-main.ts --data DIR\n");
    process.exit(2);
  }
  const runDir = join(resolve(values.data), "run");
  await mkdir(runDir, { recursive: true });
  const socketPath = join(runDir, "edge.sock");
  const tablePath = join(runDir, "edge-table.json");

  if (await socketAnswers(socketPath)) {
    process.stderr.write(`edge: another edge is already serving ${socketPath}\n`);
    process.exit(1);
  }
  await unlink(socketPath).catch(() => {});

  const runtime = new EdgeRuntime(tablePath);
  try {
    const table = await loadTable(tablePath);
    if (table !== undefined) {
      const result = await runtime.applyTable(table, false);
      for (const e of result.errors) process.stderr.write(`edge: ${e.env} cannot listen on port ${e.port}: ${e.message}\n`);
    }
  } catch (error) {
    // A corrupt table file must not keep the edge (and the control plane's next push) from starting.
    process.stderr.write(`edge: ignoring the saved table: ${errorMessage(error)}\n`);
  }

  const control = createControlServer(runtime);
  await new Promise<void>((ok, fail) => {
    control.once("error", fail);
    control.listen(socketPath, () => ok());
  });
  await chmod(socketPath, 0o600);

  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    control.close();
    control.closeAllConnections();
    runtime.shutdown(DRAIN_MS).then(
      () => process.exit(0),
      () => process.exit(0),
    );
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  // Nobody restarts the edge while the control plane is down: one bad request must not take every site with it.
  process.on("uncaughtException", (error) => process.stderr.write(`edge: uncaught: ${error.stack ?? errorMessage(error)}\n`));
  process.on("unhandledRejection", (error) => process.stderr.write(`edge: unhandled rejection: ${errorMessage(error)}\n`));

  process.stdout.write(`edge ready pid=${process.pid} socket=${socketPath}\n`);
}

/** True when a live process accepts connections on the socket (as opposed to a stale file). */
function socketAnswers(path: string): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect(path);
    socket.once("connect", () => {
      socket.destroy();
      done(true);
    });
    socket.once("error", () => done(false));
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`edge: failed to start: ${errorMessage(error)}\n`);
  process.exit(1);
});
