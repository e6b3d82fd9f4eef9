import { spawnSync } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { startProcess, type Started } from "./child-process.ts";

/** `caddy version` / `haproxy -v`: the version string, or undefined when the peer is not installed (it is skipped). */
export function peerVersion(peer: "caddy" | "haproxy"): string | undefined {
  const result = spawnSync(peer, peer === "caddy" ? ["version"] : ["-v"], { encoding: "utf8" });
  if (result.error !== undefined || result.status !== 0) return undefined;
  const text = `${result.stdout}${result.stderr}`;
  return (peer === "caddy" ? /v?(\d+\.\d+\.\d+)/ : /HAProxy version (\S+)/).exec(text)?.[1] ?? "unknown version";
}

/**
 * Caddy as its documentation's reverse proxy (`reverse_proxy` keeps upstream connections alive by default), doing
 * the same work as the edge and nginx here: X-Forwarded-* (Caddy's defaults) and a request id both ways, no access
 * log (Caddy logs none unless `log` is set), automatic HTTPS off (plain HTTP on loopback, as the others).
 */
export async function startCaddy(dir: string, listenPort: number, upstreamPort: number): Promise<Started> {
  await mkdir(dir, { recursive: true });
  const conf = join(dir, "Caddyfile");
  await writeFile(
    conf,
    `{
  admin off
  auto_https off
  storage file_system ${join(dir, "storage")}
}
http://127.0.0.1:${listenPort} {
  bind 127.0.0.1
  header X-Request-Id {http.request.uuid}
  reverse_proxy 127.0.0.1:${upstreamPort} {
    header_up X-Request-Id {http.request.uuid}
    transport http {
      keepalive 90s
      keepalive_idle_conns 128
    }
  }
}
`,
  );
  return startProcess(
    "sh",
    [
      "-c",
      `caddy validate --adapter caddyfile --config ${conf} >/dev/null 2>&1 && echo ok && HOME=${dir} XDG_DATA_HOME=${dir} XDG_CONFIG_HOME=${dir} exec caddy run --adapter caddyfile --config ${conf}`,
    ],
    /(ok)\n/,
  );
}

/**
 * HAProxy in HTTP mode as its documentation recommends for a reverse proxy: `http-reuse always` keep-alive to the
 * server, one thread per core (its default: nbthread = the CPUs it may use), X-Forwarded-For (`option forwardfor`)
 * and a request id both ways (`unique-id-format`), no log.
 */
export async function startHaproxy(dir: string, listenPort: number, upstreamPort: number): Promise<Started> {
  await mkdir(dir, { recursive: true });
  const conf = join(dir, "haproxy.cfg");
  await writeFile(
    conf,
    `global
  maxconn 8000
defaults
  mode http
  timeout connect 5s
  timeout client 60s
  timeout server 60s
  timeout http-keep-alive 60s
  option http-keep-alive
  option forwardfor
  http-reuse always
frontend bench
  bind 127.0.0.1:${listenPort}
  unique-id-format %{+X}o\\ %ci:%cp_%fi:%fp_%Ts_%rt:%pid
  http-request set-header X-Request-Id %[unique-id]
  http-request set-header X-Forwarded-Proto http
  http-request set-header X-Forwarded-Host %[req.hdr(host)]
  http-response set-header X-Request-Id %[unique-id]
  default_backend app
backend app
  server app1 127.0.0.1:${upstreamPort} maxconn 128
`,
  );
  return startProcess("sh", ["-c", `haproxy -c -q -f ${conf} && echo ok && exec haproxy -db -f ${conf}`], /(ok)\n/);
}
