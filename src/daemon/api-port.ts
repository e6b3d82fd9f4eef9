import { createServer } from "node:net";
import { RampartError } from "../shared/errors.ts";

/**
 * Binds the API address once and lets it go, before anything starts: a taken port must stop `rampart up` at
 * once, before it starts an edge or instances it would leave behind. (Another process could take the port in the
 * moment between, which the later listen then reports; this catches the usual case, a second `rampart up`.)
 */
export async function assertApiPortFree(host: string, port: number): Promise<void> {
  if (port === 0) return;
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) => reject(portError(host, port, error)));
    server.listen({ host, port, exclusive: true }, () => resolve());
  });
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

function portError(host: string, port: number, error: NodeJS.ErrnoException): Error {
  if (error.code === "EADDRINUSE")
    return new RampartError("api_port_in_use", `port ${port} is in use (${host}:${port}): another rampart up?`, {
      hint: `rampart status shows a running platform; or give this one another address: rampart up --api ${host}:PORT`,
    });
  if (error.code === "EACCES")
    return new RampartError("api_port_in_use", `cannot listen on ${host}:${port}: permission denied (ports below 1024 need privileges)`, {
      hint: `give it a port above 1023: rampart up --api ${host}:7700`,
    });
  if (error.code === "EADDRNOTAVAIL")
    return new RampartError("api_port_in_use", `cannot listen on ${host}:${port}: ${host} is not an address of this machine`, {
      hint: "use 127.0.0.1 or one of this machine's addresses: rampart up --api 127.0.0.1:7700",
    });
  return error;
}
