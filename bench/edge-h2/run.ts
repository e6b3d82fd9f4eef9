import { execFileSync, spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { availableParallelism, cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createEdgeClient } from "../../src/edge/edge-client.ts";
import type { EdgeEnvironment } from "../../src/edge/routing-table.types.ts";
import { killAllSync, startProcess } from "../edge/child-process.ts";
import { nginxVersion } from "../edge/nginx.ts";
import { cpuTime } from "../edge/process-cpu.ts";
import { runH2load, type H2loadResult } from "./h2load.ts";
import { startNginxH2 } from "./nginx-h2.ts";

/**
 * `npm run bench:edge:h2`: HTTP/2 to clients, h2load against Rampart's edge (h2 over TLS by ALPN, cleartext h2 with
 * prior knowledge, HTTP/1.1 over TLS for comparison) and nginx (TLS, http2), all proxying to one node:http upstream
 * over HTTP/1.1 keep-alive. Reports throughput, h2load's mean and max time per request, and CPU per request of
 * each proxy (its processes, from /proc). Prints the table and writes the "Edge: HTTP/2" section of docs/benchmarks.md.
 */
const HERE = fileURLToPath(new URL(".", import.meta.url));
const ROOT = join(HERE, "..", "..");
const NODE = process.execPath;
const SECONDS = 8;
const WARMUP = 2;
const CONNECTIONS = 32;
const STREAMS = 10;

interface Target {
  name: string;
  url: string;
  pid: number;
  h1?: boolean;
}

interface Row {
  target: Target;
  result: H2loadResult;
  cpuUsPerRequest: number;
}

async function main(): Promise<void> {
  if (!hasCommand("h2load")) {
    process.stderr.write("h2load is missing; installing Debian's nghttp2-client\n");
    execFileSync("apt-get", ["install", "-y", "nghttp2-client"], { stdio: "inherit" });
  }
  const dir = await mkdtemp(join(tmpdir(), "rampart-bench-h2-"));
  const loadBefore = loadavg()[0] ?? 0;
  try {
    const tls = selfSigned(dir);
    const upstream = await startProcess(NODE, [join(ROOT, "bench/edge/upstream-server.ts")], /listening (\d+)\n/, 30_000);
    const upstreamPort = Number(upstream.match);
    const workers = availableParallelism();
    const edge = await startProcess(
      NODE,
      [join(ROOT, "src/edge/edge-main.ts"), "--data", join(dir, "edge"), "--workers", String(workers)],
      /edge ready pid=\d+ socket=(\S+)\n/,
      // A loaded machine starts the edge and its workers slowly.
      30_000,
    );
    const [tlsPort, h2cPort, nginxPort] = [await freePort(), await freePort(), await freePort()];
    const env = (name: string, port: number): EdgeEnvironment => ({
      name,
      bind: "127.0.0.1",
      port,
      routes: [{ app: "app", hosts: null, prefix: "/" }],
      apps: [
        {
          name: "app",
          upstreamTimeoutMs: 30_000,
          releases: [{ release: 1, weight: 1, instances: [{ id: "app-1", host: "127.0.0.1", port: upstreamPort }] }],
        },
      ],
    });
    const put = await createEdgeClient(edge.match).putTable({
      version: 1,
      environments: [
        { ...env("tls", tlsPort), tls, http2: { tls: true, cleartext: false } },
        { ...env("h2c", h2cPort), http2: { tls: false, cleartext: true } },
      ],
    });
    if (put.errors.length > 0) throw new Error(`the edge did not listen: ${JSON.stringify(put.errors)}`);
    const edgePid = edge.child.pid ?? 0;
    const targets: Target[] = [
      { name: "Rampart, h2 over TLS (ALPN)", url: `https://127.0.0.1:${tlsPort}/`, pid: edgePid },
      { name: "Rampart, h2c (prior knowledge)", url: `http://127.0.0.1:${h2cPort}/`, pid: edgePid },
      { name: "Rampart, HTTP/1.1 over TLS", url: `https://127.0.0.1:${tlsPort}/`, pid: edgePid, h1: true },
    ];
    const version = nginxVersion();
    if (version !== undefined) {
      const nginx = await startNginxH2(join(dir, "nginx"), nginxPort, upstreamPort, tls, version);
      await waitForPort(nginxPort);
      targets.push({ name: `${version}, h2 over TLS (ALPN)`, url: `https://127.0.0.1:${nginxPort}/`, pid: nginx.child.pid ?? 0 });
    }
    const rows: Row[] = [];
    for (const target of targets) {
      const before = cpuTime(target.pid);
      const result = await runH2load(target.url, {
        connections: CONNECTIONS,
        streams: STREAMS,
        seconds: SECONDS,
        warmup: WARMUP,
        h1: target.h1,
      });
      const after = cpuTime(target.pid);
      // CPU over warm-up and measurement, divided by the requests of both (h2load counts only the measured ones).
      const requests = result.requests * ((SECONDS + WARMUP) / SECONDS);
      rows.push({ target, result, cpuUsPerRequest: (after.userUs + after.sysUs - before.userUs - before.sysUs) / requests });
      process.stderr.write(`${target.name}: ${Math.round(result.rps)} req/s (${result.protocol})\n`);
    }
    const table = formatTable(rows);
    const machine = `${cpus()[0]?.model ?? "unknown CPU"}, ${availableParallelism()} cores, load average ${loadBefore.toFixed(1)} before the run`;
    process.stdout.write(`${table}\n`);
    await writeSection(
      join(ROOT, "docs/benchmarks.md"),
      [
        "## Edge: HTTP/2",
        "",
        `\`npm run bench:edge:h2\`, ${new Date().toISOString().slice(0, 10)}, ${machine}. h2load (${h2loadVersion()}), ${CONNECTIONS} connections × ${STREAMS} streams,`,
        `${WARMUP} s warm-up then ${SECONDS} s; every proxy forwards to the same node:http upstream over HTTP/1.1 keep-alive; Rampart's edge runs ${workers} workers, nginx \`worker_processes auto\`.`,
        "CPU per request is the proxy's processes' user + system time over the run, divided by its requests.",
        "",
        table,
        "",
      ].join("\n"),
    );
  } finally {
    killAllSync();
    await rm(dir, { recursive: true, force: true });
  }
}

function formatTable(rows: Row[]): string {
  const lines = ["| target | protocol | req/s | mean ms | max ms | failed | CPU µs/request |", "|---|---|---:|---:|---:|---:|---:|"];
  for (const { target, result, cpuUsPerRequest } of rows) {
    lines.push(
      `| ${target.name} | ${result.protocol} | ${Math.round(result.rps)} | ${result.meanMs.toFixed(2)} | ${result.maxMs.toFixed(1)} | ${result.failed} | ${cpuUsPerRequest.toFixed(1)} |`,
    );
  }
  return lines.join("\n");
}

/** Replaces (or appends) this bench's section of docs/benchmarks.md, leaving the others alone. */
async function writeSection(path: string, section: string): Promise<void> {
  const text = await readFile(path, "utf8");
  const start = text.search(/^## Edge: HTTP\/2\s*$/m);
  if (start === -1) return writeFile(path, `${text.trimEnd()}\n\n${section.trimEnd()}\n`);
  const rest = text.slice(start + 1);
  const next = rest.search(/^## /m);
  const end = next === -1 ? text.length : start + 1 + next;
  await writeFile(path, `${text.slice(0, start)}${section.trimEnd()}\n${end < text.length ? `\n${text.slice(end)}` : ""}`);
}

function selfSigned(dir: string): { certFile: string; keyFile: string } {
  const certFile = join(dir, "bench.crt");
  const keyFile = join(dir, "bench.key");
  const args = ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2", "-subj", "/CN=bench"];
  execFileSync("openssl", [...args, "-keyout", keyFile, "-out", certFile], { stdio: "ignore" });
  return { certFile, keyFile };
}

function hasCommand(name: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${name}`]).status === 0;
}

function h2loadVersion(): string {
  return /nghttp2\/\S+/.exec(spawnSync("h2load", ["--version"], { encoding: "utf8" }).stdout)?.[0] ?? "unknown version";
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address !== null ? address.port : 0));
    });
  });
}

async function waitForPort(port: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = createServer().listen(port, "127.0.0.1");
      socket.once("listening", () => socket.close(() => resolve(false)));
      socket.once("error", () => resolve(true));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`nothing listens on ${port} after 10 s`);
}

main().catch((error: unknown) => {
  killAllSync();
  process.stderr.write(`bench:edge:h2 failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
