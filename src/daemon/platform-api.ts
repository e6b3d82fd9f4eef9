import type { FastifyInstance } from "fastify";
import type { Authenticator, EnvironmentProtection, RequestAuditor, TimedGrantSource } from "../access/caller.ts";
import { localTokenAuthenticator } from "../access/local-authenticator.ts";
import type { Role } from "../access/permissions.ts";
import { buildApiServer } from "../api/api-server.ts";
import { ENVIRONMENT_DEFAULTS } from "../config/manifest.defaults.ts";
import type { Manifest } from "../config/resolved-manifest.schema.ts";
import type { TlsFiles } from "../edge/tls-context.ts";
import type { Module } from "../platform/module.ts";
import { systemClock } from "../shared/clock.ts";
import { rampartVersion } from "../shared/version.ts";
import { ApiTlsListener } from "./api-tls.ts";
import { writeCredentials, type Credentials } from "./credentials.ts";

/**
 * rampart.yaml's `protected:` per environment, read at each request (a reloaded manifest counts at once). An
 * environment the manifest does not name gets the default; its routes answer 404 anyway.
 */
export function manifestProtection(manifest: () => Manifest): EnvironmentProtection {
  return {
    isProtected: (env) => {
      const environments = manifest().environments;
      return Object.hasOwn(environments, env) ? (environments[env]?.protected ?? false) : ENVIRONMENT_DEFAULTS.protected;
    },
  };
}

/**
 * The API server from every module's routes, streams and protocols, listening (over TLS when `tls` is given); the credentials file (address and
 * token, 0600) written once the port is known. Until the identity store is wired, the credentials token is the
 * only caller (as `local`, with full access).
 */
export async function serveApi(
  modules: Module[],
  options: {
    dataDir: string;
    host: string;
    port: number;
    protection: EnvironmentProtection;
    /** Given the credentials token; the identity store's authenticator (which also accepts it as `local`) goes here. */
    authenticator?: (credentialsToken: string) => Authenticator;
    auditor?: RequestAuditor;
    grants?: TimedGrantSource;
    /** The roles the `access:` policy lets be requested in an environment, for the command a 403 names. */
    requestableRoles?: (env: string) => readonly Role[];
    /** Serve HTTPS from these certificate and key files (reloaded when they change). */
    tls?: TlsFiles | null;
  },
): Promise<{ api: FastifyInstance; port: number; credentials: Credentials }> {
  // writeCredentials keeps an existing token; write once with a placeholder address to learn it early.
  const token = writeCredentials(options.dataDir, "http://starting", process.pid).token;
  const api = buildApiServer({
    routes: modules.flatMap((m) => m.routes ?? []),
    streams: modules.flatMap((m) => m.streams ?? []),
    protocols: modules.flatMap((m) => m.protocols ?? []),
    authenticator: (options.authenticator ?? localTokenAuthenticator)(token),
    protection: options.protection,
    auditor: options.auditor,
    grants: options.grants,
    requestableRoles: options.requestableRoles,
    clock: systemClock,
    version: rampartVersion,
    dataDir: options.dataDir,
  });
  let port: number;
  if (options.tls) {
    const listener = new ApiTlsListener(options.tls, api.server);
    api.addHook("onClose", async () => listener.close());
    await api.ready();
    port = await listener.listen(options.host, options.port);
  } else {
    await api.listen({ host: options.host, port: options.port });
    const address = api.server.address();
    port = typeof address === "object" && address ? address.port : options.port;
  }
  const credentials = writeCredentials(
    options.dataDir,
    localUrl(options.host, port, Boolean(options.tls)),
    process.pid,
    options.tls?.certFile,
  );
  return { api, port, credentials };
}

/** The URL the CLI on this machine uses: a wildcard address is reached on loopback. */
function localUrl(host: string, port: number, tls: boolean): string {
  const reachable = host === "0.0.0.0" ? "127.0.0.1" : host === "::" ? "::1" : host;
  const shown = reachable.includes(":") ? `[${reachable}]` : reachable;
  return `${tls ? "https" : "http"}://${shown}:${port}`;
}
