import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { request } from "node:http";
import { createServer } from "node:net";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createEdgeClient } from "../../src/edge/edge-client.ts";
import { killAllSync, runToEnd, startProcess, stopProcess } from "./child-process.ts";
import { nginxVersion, startNginx } from "./nginx.ts";
import { formatTable, writeEdgeSection, type Machine, type TargetResult } from "./report.ts";
import { runWrk, wrkArgs } from "./wrk.ts";

/**
 * `npm run bench:edge`: one upstream, three ways to reach it (direct, Rampart's edge, nginx), each
 * measured for saturation throughput (wrk) and for latency at one fixed open-loop rate (fixed-rate.ts),
 * plus the cost of the edge's per-request measurement. Prints the table and writes docs/benchmarks.md.
 * Everything runs on 127.0.0.1 and every load is bounded in time.
 */
const HERE = fileURLToPath(new URL(".", import.meta.url));
const ROOT = join(HERE, "..", "..");
const NODE = process.execPath;
const SATURATION_SECONDS = 10;
const WARMUP_SECONDS = 2;
const FIXED_SECONDS = 8;
const CONNECTIONS = 50;

interface Target {
  name: string;
  url: string;
}

async function main(): Promise<void> {
  if (!hasCommand("wrk")) throw new Error("wrk is not installed (apt-get install -y wrk): it is this bench's load generator");
  const dir = await mkdtemp(join(tmpdir(), "rampart-bench-edge-"));
  const machine = describeMachine();
  process.stdout.write(`edge bench on ${machine.nproc} cpu (${machine.cpu}), node ${machine.node}, nginx ${machine.nginx}\n`);
  try {
    const upstream = await startProcess(NODE, [join(HERE, "upstream-server.ts")], /listening (\d+)\n/);
    const upstreamPort = Number(upstream.match);
    const targets: Target[] = [{ name: "direct", url: `http://127.0.0.1:${upstreamPort}/` }];

    const edgePort = await freePort();
    const edge = await startProcess(NODE, [join(ROOT, "src/edge/edge-main.ts"), "--data", join(dir, "edge")], /edge ready pid=\d+ socket=(\S+)\n/);
    const client = createEdgeClient(edge.match);
    await client.putTable({
      version: 1,
      environments: [
        {
          name: "bench",
          bind: "127.0.0.1",
          port: edgePort,
          routes: [{ app: "app", hosts: null, prefix: "/" }],
          apps: [{ name: "app", upstreamTimeoutMs: 30_000, releases: [{ release: 1, weight: 1, instances: [{ id: "app-1", host: "127.0.0.1", port: upstreamPort }] }] }],
        },
      ],
    });
    targets.push({ name: "rampart", url: `http://127.0.0.1:${edgePort}/` });
    // Read the edge's measurements every second, as the control plane does, so that path is part of the run.
    let counted = 0;
    const poll = setInterval(() => {
      client.stats().then((s) => (counted += s.series.reduce((n, x) => n + x.count, 0)), () => {});
    }, 1_000);

    if (machine.nginx !== "absent") {
      const nginxPort = await freePort();
      await startNginx(join(dir, "nginx"), nginxPort, upstreamPort);
      targets.push({ name: "nginx", url: `http://127.0.0.1:${nginxPort}/` });
    } else {
      process.stdout.write("nginx is not installed (apt-get install -y nginx): skipping it\n");
    }

    const results: TargetResult[] = [];
    for (const target of targets) {
      await waitHttp(target.url);
      await runWrk(target.url, WARMUP_SECONDS, CONNECTIONS);
      const sat = await runWrk(target.url, SATURATION_SECONDS, CONNECTIONS);
      process.stdout.write(`${target.name}: ${Math.round(sat.requestsPerSec)} req/s at saturation (${sat.errors} errors)\n`);
      results.push({ name: target.name, requestsPerSec: sat.requestsPerSec, saturationErrors: sat.errors, p50Ms: 0, p99Ms: 0, fixedErrors: 0 });
    }
    // One rate for all, half the slowest target's saturation: every target is at <= half its own, and
    // "added p99 vs direct" compares latencies at the same load.
    const rate = Math.floor(Math.min(...results.map((r) => r.requestsPerSec)) / 2);
    for (const [i, target] of targets.entries()) {
      const args = [join(HERE, "fixed-rate.ts"), "--url", target.url, "--rate", String(rate), "--seconds", String(FIXED_SECONDS), "--warmup", String(WARMUP_SECONDS)];
      const fixed = JSON.parse(await runToEnd(NODE, args)) as { p50Ms: number; p99Ms: number; errors: number; sent: number };
      const r = results[i] as TargetResult;
      r.p50Ms = fixed.p50Ms;
      r.p99Ms = fixed.p99Ms;
      r.fixedErrors = fixed.errors;
      process.stdout.write(`${target.name}: p50 ${fixed.p50Ms.toFixed(2)} ms, p99 ${fixed.p99Ms.toFixed(2)} ms at ${rate} req/s (${fixed.sent} sent, ${fixed.errors} errors)\n`);
    }
    clearInterval(poll);
    counted += (await client.stats()).series.reduce((n, x) => n + x.count, 0);
    await stopProcess(edge.child);
    await stopProcess(upstream.child);

    const cost = JSON.parse(await runToEnd(NODE, [join(HERE, "stats-cost.ts")])) as { nsPerRequest: number; requests: number };
    const table = formatTable(results, rate);
    const lines = [
      table,
      "",
      `Measurement cost: ${cost.nsPerRequest.toFixed(0)} ns per request folded into the per-worker aggregates (stats-cost.ts, ${cost.requests} records).`,
      `The edge counted ${counted} requests in its stats during the run.`,
    ];
    process.stdout.write(`\n${lines.join("\n")}\n`);
    await writeEdgeSection(join(ROOT, "docs", "benchmarks.md"), docsSection(machine, lines.join("\n"), rate));
    process.stdout.write("\nwritten to docs/benchmarks.md (section Edge)\n");
  } finally {
    killAllSync();
    await rm(dir, { recursive: true, force: true });
  }
}

function docsSection(machine: Machine, body: string, rate: number): string {
  return `## Edge

Latest \`npm run bench:edge\` (bench/edge/run.ts), ${machine.date}.

- Machine: ${machine.nproc} CPU (\`nproc\`), ${machine.cpu}; everything (load generator, upstream, proxy) shares them.
- Node ${machine.node}; nginx ${machine.nginx}; wrk ${wrkVersion()}.
- Upstream: one node:http process answering a 30-byte body (bench/edge/upstream-server.ts); the same process behind every target.
- Saturation: \`wrk ${wrkArgs("URL", SATURATION_SECONDS, CONNECTIONS).join(" ")}\` after a ${WARMUP_SECONDS} s warm-up.
- Latency: \`node bench/edge/fixed-rate.ts --url URL --rate ${rate} --seconds ${FIXED_SECONDS} --warmup ${WARMUP_SECONDS}\`: open loop at half the slowest target's saturation rate, latency from each request's scheduled time (no coordinated omission).

${body}
`;
}

function describeMachine(): Machine {
  const cpuinfo = readFileSync("/proc/cpuinfo", "utf8");
  const cpu = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? "unknown CPU";
  return { nproc: availableParallelism(), cpu, node: process.version, nginx: nginxVersion() ?? "absent", date: new Date().toISOString().slice(0, 16).replace("T", " ") + " UTC" };
}

function wrkVersion(): string {
  try {
    execFileSync("wrk", ["-v"], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } catch (error) {
    const out = String((error as { stdout?: unknown }).stdout ?? "");
    return /wrk ([\d.]+)/.exec(out)?.[1] ?? "unknown";
  }
  return "unknown";
}

function hasCommand(name: string): boolean {
  try {
    execFileSync("sh", ["-c", `command -v ${name}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Resolves once the target answers 200 (5 s deadline): nginx and the edge bind after their ready signal. */
async function waitHttp(url: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const status = await new Promise<number>((ok) => {
      const req = request(url, { agent: false }, (res) => {
        res.resume();
        ok(res.statusCode ?? 0);
      });
      req.on("error", () => ok(0));
      req.end();
    });
    if (status === 200) return;
    if (Date.now() > deadline) throw new Error(`${url} did not answer 200 within 5 s (last status ${status})`);
    await new Promise((ok) => setTimeout(ok, 50));
  }
}

process.on("SIGINT", () => {
  killAllSync();
  process.exit(130);
});
main().catch((error: unknown) => {
  killAllSync();
  process.stderr.write(`bench:edge failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
