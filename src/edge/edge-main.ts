import { chmod, mkdir, unlink } from "node:fs/promises";
import { connect } from "node:net";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { availableParallelism } from "node:os";
import { createControlServer } from "./control-server.ts";
import { EdgePrimary } from "./edge-primary.ts";
import type { RoutingTable } from "./routing-table.types.ts";
import { enableRequestMigration } from "./request-migration.ts";
import { loadTable } from "./table-store.ts";
import { ensureRumKey } from "./rum-token.ts";
import { WorkerPool } from "./worker-pool.ts";
import { errorMessage } from "../shared/errors.ts";

/**
 * The edge: `node src/edge/edge-main.ts --data DIR [--workers N]`. Started detached by the control
 * plane, it outlives it and keeps serving the last table it was given (persisted in
 * DIR/run/edge-table.json). This process is the primary: it owns the control socket and the table and
 * forks N workers (default: one per available core) that serve the traffic (edge-worker.ts).
 */
const DRAIN_MS = 10_000;

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { data: { type: "string" }, workers: { type: "string" } } });
  const workers = values.workers === undefined ? availableParallelism() : Number(values.workers);
  if (values.data === undefined || !Number.isInteger(workers) || workers < 1) {
    process.stderr.write("usage: edge-main.ts --data DIR [--workers N]\n");
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

  let table: RoutingTable | undefined;
  try {
    table = await loadTable(tablePath);
  } catch (error) {
    // A corrupt table file must not keep the edge (and the control plane's next push) from starting.
    process.stderr.write(`edge: ignoring the saved table: ${errorMessage(error)}\n`);
  }
  // Before the workers are forked: they read it to sign and verify RUM tokens alike.
  ensureRumKey(runDir);
  enableRequestMigration((line) => process.stderr.write(`${line}\n`));
  const pool = new WorkerPool(workers, socketPath);
  const started = await pool.start(table);
  for (const e of started.errors) process.stderr.write(`edge: ${e.env} cannot listen on port ${e.port}: ${e.message}\n`);
  const primary = new EdgePrimary(pool, tablePath, table?.version ?? 0);

  const control = createControlServer(primary);
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
    pool.shutdown(DRAIN_MS).then(
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
