import { createServer } from "node:net";

/**
 * A free TCP port, found by letting the kernel pick one. Another process could take it before
 * the instance binds it; callers treat a bind failure as a failed start and retry.
 */
export function allocatePort(host = "127.0.0.1"): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen({ port: 0, host, exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : undefined;
      server.close(() => (port === undefined ? reject(new Error("no port assigned")) : resolve(port)));
    });
  });
}
