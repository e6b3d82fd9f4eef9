import type { FastifyInstance } from "fastify";
import type { Authenticator } from "../access/caller.ts";
import { buildApiServer } from "../api/api-server.ts";
import type { Module } from "../platform/module.ts";
import { rampartVersion } from "../shared/version.ts";
import { writeCredentials, type Credentials } from "./credentials.ts";

/**
 * The API server from every module's routes, streams and protocols, listening; the credentials file (address and
 * token, 0600) written once the port is known.
 */
export async function serveApi(
  modules: Module[],
  options: { dataDir: string; host: string; port: number; authenticator: Authenticator },
): Promise<{ api: FastifyInstance; port: number; credentials: Credentials }> {
  const api = buildApiServer({
    routes: modules.flatMap((m) => m.routes ?? []),
    streams: modules.flatMap((m) => m.streams ?? []),
    protocols: modules.flatMap((m) => m.protocols ?? []),
    // writeCredentials keeps an existing token; write once with a placeholder address to learn it early.
    token: writeCredentials(options.dataDir, "http://starting", process.pid).token,
    version: rampartVersion,
    dataDir: options.dataDir,
    authenticator: options.authenticator,
  });
  await api.listen({ host: options.host, port: options.port });
  const address = api.server.address();
  const port = typeof address === "object" && address ? address.port : options.port;
  const host = options.host.includes(":") ? `[${options.host}]` : options.host;
  const credentials = writeCredentials(options.dataDir, `http://${host}:${port}`, process.pid);
  return { api, port, credentials };
}
