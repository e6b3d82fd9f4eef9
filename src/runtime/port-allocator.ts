import { createServer } from "node:net";

/**
 * Instance ports come from their own range, below Linux's ephemeral range (32768–60999), as Nomad's dynamic ports
 * do (20000–32000). A port the kernel picks for `listen(0)` or an outgoing connection is then never one an
 * instance is about to bind: with ports from the ephemeral range, another process could take the port in the
 * moment between this check and the instance's own bind, answer its health check in its place, and the instance
 * (failing to bind) looked healthy until it exited — CI saw exactly that.
 */
export const INSTANCE_PORT_RANGE = { min: 20_000, max: 32_000 } as const;
const ATTEMPTS = 64;
/** A port handed out is not handed out again for this long, so two instances starting together never share one. */
const REUSE_AFTER_MS = 60_000;

const handedOut = new Map<number, number>();

/**
 * A free TCP port from `range`: an instance's, from {@link INSTANCE_PORT_RANGE} (tests have a range of their own).
 * Another process could still bind it before the instance does; the supervisor treats a bind failure as a failed
 * start and retries.
 */
export async function allocatePort(host = "127.0.0.1", range: { min: number; max: number } = INSTANCE_PORT_RANGE): Promise<number> {
  const now = Date.now();
  for (const [port, at] of handedOut) if (now - at > REUSE_AFTER_MS) handedOut.delete(port);
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const port = range.min + Math.floor(Math.random() * (range.max - range.min));
    if (handedOut.has(port)) continue;
    if (await isFree(host, port)) {
      handedOut.set(port, now);
      return port;
    }
  }
  throw new Error(`no free port after ${ATTEMPTS} tries in ${range.min}–${range.max - 1} on ${host}: see what holds them with ss -ltnp`);
}

function isFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once("error", () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}
