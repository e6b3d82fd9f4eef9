import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { startProcess, type Started } from "../edge/child-process.ts";

/**
 * nginx terminating TLS with HTTP/2 (ALPN h2) in front of the same upstream, doing the same work as Rampart's edge
 * (keep-alive upstream, X-Forwarded-*, a request id both ways, no access log). nginx ≥ 1.25.1 takes `http2 on;`,
 * older ones (Debian 12 has 1.22.1) the `http2` parameter of `listen`: `version` picks the spelling.
 */
export async function startNginxH2(
  dir: string,
  listenPort: number,
  upstreamPort: number,
  tls: { certFile: string; keyFile: string },
  version: string,
): Promise<Started> {
  await mkdir(join(dir, "tmp"), { recursive: true });
  const conf = join(dir, "nginx.conf");
  const modern = atLeast(version, [1, 25, 1]);
  await writeFile(
    conf,
    `daemon off;
worker_processes auto;
pid ${join(dir, "nginx.pid")};
error_log stderr warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${join(dir, "tmp")};
  proxy_temp_path ${join(dir, "tmp")};
  fastcgi_temp_path ${join(dir, "tmp")};
  uwsgi_temp_path ${join(dir, "tmp")};
  scgi_temp_path ${join(dir, "tmp")};
  keepalive_requests 1000000;
  upstream app {
    server 127.0.0.1:${upstreamPort};
    keepalive 128;
    keepalive_requests 1000000;
  }
  server {
    listen 127.0.0.1:${listenPort} ssl${modern ? "" : " http2"};
    ${modern ? "http2 on;" : ""}
    ssl_certificate ${tls.certFile};
    ssl_certificate_key ${tls.keyFile};
    location / {
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_set_header X-Forwarded-Host $http_host;
      proxy_set_header X-Request-Id $request_id;
      add_header X-Request-Id $request_id;
    }
  }
}
`,
  );
  return startProcess(
    "sh",
    ["-c", `nginx -t -q -p ${dir} -c ${conf} -e stderr && echo ok && exec nginx -p ${dir} -c ${conf} -e stderr`],
    /(ok)\n/,
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
