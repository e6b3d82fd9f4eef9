import { stopEdge, type EdgeProcess } from "./edge-test-harness.ts";

/**
 * Stops an edge the way `rampart down` does (SIGTERM: the primary tells its workers to drain and exit),
 * then cleans up like stopEdge. A SIGKILLed primary leaves its workers serving until a successor edge
 * answers, which a test never starts.
 */
export async function stopGracefully(edge: EdgeProcess | undefined, deadlineMs = 20_000): Promise<void> {
  if (edge === undefined) return;
  if (edge.child.exitCode === null && edge.child.signalCode === null) {
    edge.child.kill("SIGTERM");
    const timer = setTimeout(() => edge.child.kill("SIGKILL"), deadlineMs);
    await edge.exited;
    clearTimeout(timer);
  }
  await stopEdge(edge);
}
