import type { Started } from "../edge/child-process.ts";
import { startNginxWith } from "../edge/nginx.ts";

/**
 * nginx terminating TLS with HTTP/2 (ALPN h2) in front of the same upstream, doing the same work as Rampart's edge
 * (keep-alive upstream, X-Forwarded-*, a request id both ways, no access log). nginx ≥ 1.25.1 takes `http2 on;`,
 * older ones (Debian 12 has 1.22.1) the `http2` parameter of `listen`: `version` picks the spelling.
 */
export function startNginxH2(
  dir: string,
  listenPort: number,
  upstreamPort: number,
  tls: { certFile: string; keyFile: string },
  version: string,
): Promise<Started> {
  const modern = atLeast(version, [1, 25, 1]);
  return startNginxWith(
    dir,
    upstreamPort,
    `listen 127.0.0.1:${listenPort} ssl${modern ? "" : " http2"};
    ${modern ? "http2 on;" : ""}
    ssl_certificate ${tls.certFile};
    ssl_certificate_key ${tls.keyFile};`,
  );
}

/** "nginx/1.22.1" against [1, 25, 1]. */
function atLeast(version: string, wanted: number[]): boolean {
  const parts = (/(\d+)\.(\d+)\.(\d+)/.exec(version) ?? []).slice(1).map(Number);
  for (let i = 0; i < wanted.length; i++) {
    const have = parts[i] ?? 0;
    const want = wanted[i] ?? 0;
    if (have !== want) return have > want;
  }
  return true;
}
