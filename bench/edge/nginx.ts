import { spawnSync } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { startProcess, type Started } from "./child-process.ts";

/** The nginx version string, or undefined when nginx is not installed (the bench then skips it). */
export function nginxVersion(): string | undefined {
  // `nginx -v` prints "nginx version: nginx/1.22.1" on stderr.
  const result = spawnSync("nginx", ["-v"], { encoding: "utf8" });
  if (result.error !== undefined || result.status !== 0) return undefined;
  return /nginx version: (\S+)/.exec(`${result.stderr}${result.stdout}`)?.[1] ?? "unknown version";
}

/**
 * nginx as a reverse proxy to the same upstream, configured to do the same work as Rampart's edge:
 * keep-alive to the upstream, X-Forwarded-* and a request id both ways, no access log (Rampart's
 * per-request record is an in-memory fold, not a log line).
 */
export function startNginx(dir: string, listenPort: number, upstreamPort: number): Promise<Started> {
  return startNginxWith(dir, upstreamPort, `listen 127.0.0.1:${listenPort};`);
}

/**
 * The same nginx with `listen` (and whatever goes beside it, e.g. TLS and HTTP/2) chosen by the caller: the one
 * configuration every nginx comparison shares.
 */
export async function startNginxWith(dir: string, upstreamPort: number, listen: string): Promise<Started> {
  await mkdir(join(dir, "tmp"), { recursive: true });
  const conf = join(dir, "nginx.conf");
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
    ${listen}
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
  // nginx prints nothing when it is up, so readiness is a config test followed by polling the port.
  return startProcess(
    "sh",
    ["-c", `nginx -t -q -p ${dir} -c ${conf} -e stderr && echo ok && exec nginx -p ${dir} -c ${conf} -e stderr`],
    /(ok)\n/,
  );
}
