import type { EnvironmentConfig } from "../config/resolved-manifest.schema.ts";

/**
 * The address a person on this machine opens for an environment: https:// when the edge terminates TLS on its
 * port, a wildcard bind shown as loopback, an IPv6 address in brackets. `rampart up`, `status` and the demo print it.
 */
export function environmentUrl(env: Pick<EnvironmentConfig, "bind" | "port" | "tls">): string {
  const host = env.bind === "0.0.0.0" || env.bind === "::" ? "127.0.0.1" : env.bind;
  const scheme = env.tls === null ? "http" : "https";
  return `${scheme}://${host.includes(":") ? `[${host}]` : host}:${env.port}`;
}
