import { normalizeHost, type CompiledEnvironment, type CompiledRoute } from "./compiled-table.ts";

const SLASH = 47;

/**
 * Finds the route for a request. `routes` is pre-sorted, so the first match is the longest prefix
 * (host-specific first at equal length). Prefixes match on segment boundaries: "/api" matches
 * "/api", "/api/x" and "/api?q", never "/apiary".
 */
export function matchRoute(env: CompiledEnvironment, hostHeader: string | undefined, path: string): CompiledRoute | undefined {
  const host = hostHeader === undefined ? "" : hostWithoutPort(hostHeader);
  const query = path.indexOf("?");
  const pathEnd = query === -1 ? path.length : query;
  for (const route of env.routes) {
    if (route.hosts !== null && !route.hosts.has(host)) continue;
    const prefix = route.prefix;
    if (prefix.length > pathEnd || !path.startsWith(prefix)) continue;
    if (prefix.length === pathEnd || route.prefixEndsWithSlash || path.charCodeAt(prefix.length) === SLASH) return route;
  }
  return undefined;
}

/** "Shop.example.com:8080" → "shop.example.com"; "[::1]:8080" → "[::1]". */
export function hostWithoutPort(host: string): string {
  let end = host.length;
  if (host.startsWith("[")) {
    const close = host.indexOf("]");
    if (close !== -1) end = close + 1;
  } else {
    const colon = host.indexOf(":");
    if (colon !== -1) end = colon;
  }
  return normalizeHost(end === host.length ? host : host.slice(0, end));
}

/**
 * The origin-form target to forward. Clients talking to a reverse proxy send "/path?q"; an
 * absolute-form target ("http://host/path") is reduced to its path so routing and upstream agree.
 */
export function originFormTarget(url: string): string {
  if (url.charCodeAt(0) === SLASH) return url;
  const scheme = url.indexOf("://");
  if (scheme === -1) return url;
  const slash = url.indexOf("/", scheme + 3);
  if (slash !== -1) return url.slice(slash);
  const query = url.indexOf("?", scheme + 3);
  return query === -1 ? "/" : `/${url.slice(query)}`;
}
